// For the tests of drivers/inproc: a view of the wire as "out request", "in response", ...
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "harness/model/observation.h"
#include "harness/wire/codec.h"

namespace rpcfit::inproc::testing {

// Each PDU's direction (out: sent by the client) and type, "?" for bytes that do not decode.
inline std::vector<std::string> sequence(const std::vector<run::WirePdu>& pdus) {
  std::vector<std::string> out;
  for (const auto& pdu : pdus) {
    std::string type = "?";
    if (auto co = wire::decode_co(pdu.bytes)) {
      type = wire::ptype_name(static_cast<std::uint8_t>(co->type));
    } else if (auto cl = wire::decode_cl(pdu.bytes)) {
      type = wire::ptype_name(static_cast<std::uint8_t>(cl->type));
    }
    out.push_back((pdu.out ? "out " : "in ") + type);
  }
  return out;
}

inline bool has(const std::vector<std::string>& seen, const std::string& what) {
  return std::find(seen.begin(), seen.end(), what) != seen.end();
}

}  // namespace rpcfit::inproc::testing
