// `rpcfit capture example FILE`: writes a capture of cancelled calls made with the project's own
// codec and pcap writer, as a sample for `capture dump`, Wireshark and the tests.
#pragma once

#include <string>

#include "captures/capture_error.h"
#include "harness/core/result.h"

namespace rpcfit::cli {

// Writes the example; returns the number of frames written.
Result<std::uint64_t, captures::CaptureError> write_capture_example(const std::string& path);

}  // namespace rpcfit::cli
