#include "drivers/server/serve_interface.h"

#include "drivers/runtime/test_interface.h"

namespace rpcfit::server {
namespace {

std::uint32_t number_in(ByteView input) {
  return input.size() >= 4 ? load_le32(input.data()) : 0;
}

Duration milliseconds_in(ByteView input) {
  return std::chrono::milliseconds(number_in(input));
}

}  // namespace

std::optional<BehaviourSpec> serve_behaviour(std::uint16_t opnum, ByteView input) {
  BehaviourSpec spec;
  switch (opnum) {
    case serve_op::kNormal:
      spec.kind = BehaviourKind::normal;
      return spec;
    case serve_op::kSlow:
      spec.kind = BehaviourKind::slow;
      spec.delay = milliseconds_in(input);
      return spec;
    case serve_op::kHung:
      spec.kind = BehaviourKind::hung;
      return spec;
    case serve_op::kCancelRaise:
    case serve_op::kCancelReturn:
      spec.kind = BehaviourKind::cancel_aware;
      spec.on_cancel =
          opnum == serve_op::kCancelRaise ? OnCancel::raise : OnCancel::return_normally;
      if (number_in(input) != 0) spec.run_for = milliseconds_in(input);
      return spec;
    case serve_op::kDeny:
      spec.kind = BehaviourKind::deny;
      return spec;
    case serve_op::kCrash:
      spec.kind = BehaviourKind::crash;
      spec.crash_after_bytes = number_in(input);
      return spec;
    default:
      return std::nullopt;
  }
}

rpc::InterfaceRegistration serve_interface(std::shared_ptr<EventRecorder> recorder) {
  rpc::InterfaceRegistration registration;
  registration.id = rpc::test_interface_id();
  for (std::uint16_t opnum = serve_op::kNormal; opnum <= serve_op::kCrash; ++opnum) {
    registration.routines[opnum] = [opnum, recorder](rpc::ServerCall& call, ByteView input) {
      return make_routine(*serve_behaviour(opnum, input), recorder)(call, input);
    };
  }
  return registration;
}

}  // namespace rpcfit::server
