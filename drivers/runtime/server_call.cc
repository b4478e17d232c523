#include "drivers/runtime/server_core.h"

namespace rpcfit::rpc {
namespace {
thread_local ServerCall* t_current_call = nullptr;
}  // namespace

RoutineOutcome run_manager_routine(const Server::Core& core, const ManagerRoutine& routine,
                                   ServerCall& call, ByteView input, bool cancelled_before) {
  core.emit(ServerEventKind::call_started, call.call_id(), call.opnum());
  if (cancelled_before) core.emit(ServerEventKind::cancel_arrived, call.call_id(), call.opnum());
  RoutineOutcome outcome;
  auto* outer = t_current_call;
  t_current_call = &call;
  try {
    outcome.output = routine(call, input);
  } catch (const RpcException& e) {
    outcome.fault = fault_from_status(e.status());  // CS-SRV-3, CS-SRV-7
  } catch (ServerCrash& crash) {
    outcome.output = std::move(crash.output);
    outcome.crash_after = crash.after_bytes;
  } catch (...) {
    outcome.fault = nca::kFaultUnspec;
  }
  t_current_call = outer;
  core.emit(ServerEventKind::call_finished, call.call_id(), call.opnum());
  return outcome;
}

ServerCall::ServerCall(std::shared_ptr<ServerCallHost> host, std::uint32_t call_id,
                       std::uint16_t opnum, bool cancelled_on_arrival)
    : host_(std::move(host)), call_id_(call_id), opnum_(opnum) {
  if (cancelled_on_arrival) state_.cancel = on_cancel(state_.cancel);
}

ServerCall::~ServerCall() = default;

ServerCall::State ServerCall::snapshot() const {
  std::lock_guard lock(mu_);
  return state_;
}

void ServerCall::note_cancel(bool orphaned) {
  std::lock_guard lock(mu_);
  if (orphaned) {
    state_.cancel = on_orphan(state_.cancel);
  } else {
    state_.cancel = on_cancel(state_.cancel);
    ++state_.cancel_count;
  }
}

void ServerCall::note_connection_lost() {
  // Nobody waits for the result any more: the routine learns it as a cancel (decision, README).
  std::lock_guard lock(mu_);
  state_.cancel = on_orphan(state_.cancel);
}

void ServerCall::end() {
  std::lock_guard lock(mu_);
  state_.active = false;
}

RpcStatus ServerCall::test_cancel() {
  {
    // Once cancelled, always cancelled: no need to read the connection again.
    std::lock_guard lock(mu_);
    if (state_.cancelled()) {
      state_.cancel = on_look(state_.cancel);
      return status::kOk;
    }
  }
  host_->read_during_call(*this, std::nullopt);
  std::lock_guard lock(mu_);
  if (!state_.cancelled()) return status::kNotCancelled;
  state_.cancel = on_look(state_.cancel);
  return status::kOk;
}

bool ServerCall::wait_for_cancel(Duration timeout) {
  Deadline deadline = clock().now() + timeout;
  host_->read_during_call(*this, deadline);
  std::lock_guard lock(mu_);
  state_.cancel = on_look(state_.cancel);
  return state_.cancelled();
}

bool ServerCall::sleep_for(Duration d) {
  auto& core = host_->core();
  auto until = clock().to_steady(clock().now() + d);
  std::unique_lock lock(core.mu);
  return !core.cv.wait_until(lock, until, [&] { return core.stopping.load(); });
}

bool ServerCall::wait_until(const std::function<bool()>& done) {
  auto& core = host_->core();
  std::unique_lock lock(core.mu);
  core.cv.wait(lock, [&] { return done() || core.stopping.load(); });
  return done();
}

void ServerCall::wake_waiters() {
  auto& core = host_->core();
  std::lock_guard lock(core.mu);
  core.cv.notify_all();
}

bool ServerCall::stopping() const {
  return host_->core().stopping;
}

transport::Protseq ServerCall::protseq() const {
  return host_->protseq();
}

Clock& ServerCall::clock() const {
  return host_->core().clock();
}

RpcStatus RpcTestCancel() {
  auto* call = t_current_call;
  if (call == nullptr) return status::kNoCallActive;
  return call->test_cancel();
}

RpcStatus RpcServerTestCancel(BindingHandle* binding) {
  ServerCall* call = nullptr;
  if (binding == nullptr) {
    call = t_current_call;
    if (call == nullptr) return status::kNoCallActive;
  } else {
    call = dynamic_cast<ServerCall*>(binding);
    if (call == nullptr) return status::kInvalidBinding;
  }
  if (!call->snapshot().active) return status::kNoCallActive;
  return call->test_cancel() == status::kOk ? status::kOk : status::kCallInProgress;
}

}  // namespace rpcfit::rpc
