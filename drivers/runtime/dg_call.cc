#include "drivers/runtime/dg_call.h"

#include "drivers/runtime/dg_server.h"

namespace rpcfit::rpc {

void DgCall::run(std::uint64_t turn) {
  turn_ = turn;
  int early = 0;
  {
    std::lock_guard lock(mu_);
    early = cancels_;
  }
  ServerCall call(shared_from_this(), request_.seqnum, request_.opnum, early > 0);
  for (int i = 0; i < early; ++i)
    call.note_cancel(false);
  {
    std::lock_guard lock(mu_);
    delivered_ = early;
  }
  const auto& input = std::get<wire::ClRaw>(request_.body).body;
  // Early cancels were reported as they arrived.
  auto outcome = run_manager_routine(core(), routine_, call, input, false);
  collect(call, std::nullopt);
  auto state = call.snapshot();
  call.end();
  endpoint_->complete(*this, std::move(outcome), state);
}

bool DgCall::undelivered() {
  std::lock_guard lock(mu_);
  return cancels_ > delivered_;
}

void DgCall::post_cancel() {
  std::lock_guard lock(mu_);
  ++cancels_;
  cv_.notify_all();
}

void DgCall::interrupt() {
  std::lock_guard lock(mu_);
  cv_.notify_all();
}

void DgCall::read_during_call(ServerCall& call, const std::optional<Deadline>& wait) {
  // A routine that looks at its cancels needs a thread receiving them now.
  if (!handed_over_.exchange(true)) endpoint_->hand_over(turn_);
  collect(call, wait);
}

void DgCall::collect(ServerCall& call, const std::optional<Deadline>& wait) {
  int fresh = 0;
  {
    std::unique_lock lock(mu_);
    // A call cancelled already (early cancels included) needs no wait.
    if (wait && !call.snapshot().cancelled()) {
      auto arrived = [&] { return cancels_ > delivered_ || core().stopping.load(); };
      if (*wait) {
        cv_.wait_until(lock, core().clock().to_steady(**wait), arrived);
      } else {
        cv_.wait(lock, arrived);
      }
    }
    fresh = cancels_ - delivered_;
    delivered_ = cancels_;
  }
  for (; fresh > 0; --fresh)
    call.note_cancel(false);
}

Server::Core& DgCall::core() const {
  return endpoint_->core();
}

transport::Protseq DgCall::protseq() const {
  return endpoint_->protseq();
}

void DgThread::run() {
  endpoint_->serve(*this);
}

void DgThread::set_current(std::shared_ptr<DgCall> call) {
  std::lock_guard lock(mu_);
  current_ = std::move(call);
}

void DgThread::interrupt() {
  {
    std::lock_guard lock(mu_);
    if (current_) current_->interrupt();
  }
  endpoint_->wake_followers();
}

void DgThread::abandon() {
  endpoint_->abandon();
}

}  // namespace rpcfit::rpc
