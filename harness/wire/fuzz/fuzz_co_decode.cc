// libFuzzer: the connection-oriented decoder. Beyond not crashing, a PDU that decodes must
// re-encode to bytes that decode again to the same PDU.
#include <cstdlib>

#include "harness/wire/codec.h"
#include "harness/wire/text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rpcfit::wire;
  auto pdu = decode_co(rpcfit::ByteView(data, size));
  if (!pdu) {
    (void)pdu.error().to_string();
    return 0;
  }
  (void)to_text(*pdu);
  const rpcfit::Bytes once = encode(*pdu);
  auto again = decode_co(once);
  if (!again || encode(*again) != once) std::abort();
  return 0;
}
