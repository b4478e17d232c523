// libFuzzer: the stream splitter and CO call reassembler on a byte stream cut at places the input
// chooses. The first byte picks the chunk size.
#include <algorithm>

#include "harness/wire/codec.h"
#include "harness/wire/fragment.h"
#include "harness/wire/stream.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rpcfit::wire;
  if (size == 0) return 0;
  const std::size_t chunk = std::size_t{data[0]} + 1;
  const rpcfit::ByteView stream(data + 1, size - 1);
  StreamSplitter splitter(StreamLimits{4096});
  CoCallReassembler calls(CallLimits{1 << 16, 8});
  for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
    splitter.feed(stream.subspan(pos, std::min(chunk, stream.size() - pos)));
    while (auto next = splitter.next()) {
      if (!next->ok()) {
        splitter.resync(splitter.position());
        break;
      }
      auto pdu = decode_co((*next)->bytes);
      if (pdu) (void)calls.add(*pdu);
    }
  }
  return 0;
}
