// An error reading or writing a capture file: which file, which frame, and why.
#pragma once

#include <cstdint>
#include <string>

namespace rpcfit::captures {

struct CaptureError {
  std::string file;         // path, or "<memory>" for an in-memory capture
  std::uint64_t frame = 0;  // 1-based frame number; 0 when the fault is in the file header
  std::string reason;

  // "trace.pcap: frame 17: truncated dump file; ..." or "trace.pcap: file header: ..."
  std::string to_string() const;
};

}  // namespace rpcfit::captures
