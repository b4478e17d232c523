// libFuzzer: the whole capture reader (libpcap, link and IP layers, TCP reassembly, DCE/RPC
// framing and decoding) on a capture held in memory.
#include "captures/capture_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rpcfit::captures::ReaderLimits limits;
  limits.max_connections = 64;
  limits.max_out_of_order = 1 << 16;
  auto contents =
      rpcfit::captures::read_capture_memory(rpcfit::ByteView(data, size), "<fuzz>", limits);
  (void)contents;
  return 0;
}
