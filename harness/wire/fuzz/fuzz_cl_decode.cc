// libFuzzer: the connectionless decoder, with the same round-trip property as the CO one, and
// fragment reassembly of whatever decodes.
#include <cstdlib>

#include "harness/wire/codec.h"
#include "harness/wire/fragment.h"
#include "harness/wire/text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rpcfit::wire;
  auto pdu = decode_cl(rpcfit::ByteView(data, size));
  if (!pdu) return 0;
  (void)to_text(*pdu);
  const rpcfit::Bytes once = encode(*pdu);
  auto again = decode_cl(once);
  if (!again || encode(*again) != once) std::abort();
  ClCallReassembler calls(CallLimits{1 << 16, 4});
  (void)calls.add(*pdu);
  return 0;
}
