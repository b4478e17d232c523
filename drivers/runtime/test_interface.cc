#include "drivers/runtime/test_interface.h"

#include <chrono>

namespace rpcfit::rpc {
namespace {

std::chrono::milliseconds requested_wait(ByteView input) {
  if (input.size() < 4) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(load_le32(input.data()));
}

}  // namespace

wire::SyntaxId test_interface_id() {
  return {*wire::Uuid::parse("aa4b9a65-9bbb-456a-9fad-4a7ad417b890"), 1};
}

Bytes milliseconds_input(std::uint32_t ms) {
  ByteWriter out(ByteOrder::little);
  out.u32(ms);
  return out.take();
}

InterfaceRegistration test_interface() {
  InterfaceRegistration reg;
  reg.id = test_interface_id();
  reg.routines[test_op::kEcho] = [](ServerCall&, ByteView input) {
    return Bytes(input.begin(), input.end());
  };
  reg.routines[test_op::kCancellable] = [](ServerCall& call, ByteView input) {
    if (call.wait_for_cancel(requested_wait(input))) RpcRaiseException(status::kCallCancelled);
    return Bytes(input.begin(), input.end());
  };
  reg.routines[test_op::kDeaf] = [](ServerCall& call, ByteView input) {
    call.sleep_for(requested_wait(input));
    return Bytes(input.begin(), input.end());
  };
  return reg;
}

}  // namespace rpcfit::rpc
