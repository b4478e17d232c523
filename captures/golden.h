// Golden captures: a normalized capture written as a pcap, so that the golden itself is normalized
// and still opens in Wireshark. (Comparing two normalized captures is a check:
// harness/check/capture_diff.h.)
//
// The written file puts conversation n between client 127.0.0.1:(49151 + n) and server
// 127.0.0.2:135 (TCP with a synthesized handshake, or UDP), each frame at its normalized time
// since the epoch: reading it back and normalizing gives the same capture.
#pragma once

#include <string>

#include "captures/capture_error.h"
#include "captures/normalize.h"
#include "harness/core/result.h"

namespace rpcfit::captures {

Result<bool, CaptureError> write_normalized(const std::string& path,
                                            const NormalizedCapture& capture);

}  // namespace rpcfit::captures
