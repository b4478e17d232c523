// Normalized PDUs made by hand, for the tests of the capture comparison and checks.
#pragma once

#include <cstdint>
#include <string>

#include "harness/model/normalized_capture.h"

namespace rpcfit::run::testing {

inline NormalizedPdu normalized_pdu(std::uint64_t frame, Timestamp at, bool to_server,
                                    const std::string& text,
                                    TransportKind transport = TransportKind::tcp) {
  NormalizedPdu p;
  p.frame = frame;
  p.at = at;
  p.to_server = to_server;
  p.text = text;
  p.transport = transport;
  return p;
}

}  // namespace rpcfit::run::testing
