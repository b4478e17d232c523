#include "drivers/runtime/runtime.h"

#include <atomic>

#include "drivers/runtime/call_control.h"
#include "drivers/runtime/dg_pdus.h"

namespace rpcfit::rpc {

struct Runtime::ClientThread {
  std::mutex mu;
  long cancel_timeout = kCancelInfiniteTimeout;  // RpcMgmtSetCancelTimeout
  bool pending = false;                          // a cancel posted while idle (CS-IDLE-1)
  long pending_timeout = kCancelInfiniteTimeout;
  std::shared_ptr<CallControl> call;     // the synchronous call in progress
  std::shared_ptr<CallControl> control;  // reused by each call of the thread
};

namespace {

// Thread ids are process-wide, as on Windows; each runtime keeps the threads that used it.
std::atomic<ThreadId> g_next_thread_id{1};

ThreadId this_thread_id() {
  thread_local ThreadId id = g_next_thread_id.fetch_add(1);
  return id;
}

// Removes an exiting thread from the runtimes it used, with its state and its eventfd.
template <class Threads>
struct ThreadExit {
  std::vector<std::weak_ptr<Threads>> runtimes;
  ~ThreadExit() {
    for (auto& weak : runtimes) {
      if (auto threads = weak.lock()) {
        std::lock_guard lock(threads->mu);
        threads->by_id.erase(this_thread_id());
      }
    }
  }
};

}  // namespace

Runtime::Runtime(RuntimeOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &default_clock()),
      random_(options_.seed.value_or(fresh_seed())) {}

wire::Uuid Runtime::new_activity_uuid() {
  std::lock_guard lock(random_mu_);
  return random_activity_uuid(random_);
}

Runtime::~Runtime() = default;

std::shared_ptr<Runtime::ClientThread> Runtime::current_thread() {
  std::lock_guard lock(threads_->mu);
  auto& slot = threads_->by_id[this_thread_id()];
  if (!slot) {
    slot = std::make_shared<ClientThread>();
    thread_local ThreadExit<Threads> exit;
    exit.runtimes.push_back(threads_);
  }
  return slot;
}

ThreadId Runtime::GetCurrentThreadId() {
  current_thread();
  return this_thread_id();
}

ThreadHandle Runtime::OpenThread(std::uint32_t access, ThreadId thread_id) {
  {
    std::lock_guard threads_lock(threads_->mu);
    if (threads_->by_id.count(thread_id) == 0) return 0;
  }
  std::lock_guard lock(mu_);
  ThreadHandle handle = next_handle_++;
  handles_.emplace(handle, HandleEntry{thread_id, access});
  return handle;
}

bool Runtime::CloseHandle(ThreadHandle handle) {
  std::lock_guard lock(mu_);
  return handles_.erase(handle) == 1;
}

std::shared_ptr<Runtime::ClientThread> Runtime::thread_of(ThreadHandle handle,
                                                          std::uint32_t& access) {
  std::lock_guard lock(mu_);
  auto h = handles_.find(handle);
  if (h == handles_.end()) return nullptr;
  std::lock_guard threads_lock(threads_->mu);
  auto t = threads_->by_id.find(h->second.thread);
  if (t == threads_->by_id.end()) return nullptr;
  access = h->second.access;
  return t->second;
}

RpcStatus Runtime::RpcCancelThreadEx(ThreadHandle thread, long timeout) {
  std::uint32_t access = 0;
  auto target = thread_of(thread, access);
  if (!target) return status::kInvalidArg;                                      // CS-ARG-1
  if ((access & access::kThreadSetContext) == 0) return status::kAccessDenied;  // CS-ACC-1
  if (options_.legacy_platform) return status::kCannotSupport;                  // CS-PLT-1
  if (timeout < kCancelInfiniteTimeout) return status::kInvalidTimeout;         // CS-TMO-0

  std::shared_ptr<CallControl> to_wake;
  {
    std::lock_guard thread_lock(target->mu);
    if (auto call = target->call) {
      std::lock_guard call_lock(call->mu);
      if (call->protseq == transport::Protseq::ncacn_np && timeout == kCancelInfiniteTimeout) {
        return status::kInvalidTimeout;  // CS-NP-1
      }
      if (!transport::cancel_capable(call->protseq)) return status::kCannotSupport;  // CS-PS-1
      bool wake = false;
      if (post_cancel_locked(*call, clock_->now(), timeout, wake)) {
        if (wake) to_wake = call;
      } else {
        // The call is ending: the cancel waits for the thread's next call.
        target->pending = true;
        target->pending_timeout = timeout;
      }
    } else {
      target->pending = true;  // CS-IDLE-1
      target->pending_timeout = timeout;
    }
  }
  // Woken after the locks are released, so the call thread does not wake only to wait for them.
  if (to_wake) to_wake->waker.wake();
  return status::kOk;  // CS-OK-1, CS-RET-1
}

RpcStatus Runtime::RpcCancelThread(ThreadHandle thread) {
  std::uint32_t access = 0;
  auto target = thread_of(thread, access);
  if (!target) return status::kInvalidArg;
  long timeout = kCancelInfiniteTimeout;
  {
    std::lock_guard lock(target->mu);
    timeout = target->cancel_timeout;
  }
  return RpcCancelThreadEx(thread, timeout);
}

RpcStatus Runtime::RpcMgmtSetCancelTimeout(long timeout) {
  if (options_.legacy_platform) return status::kCannotSupport;
  if (timeout < kCancelInfiniteTimeout) return status::kInvalidTimeout;
  auto self = current_thread();
  std::lock_guard lock(self->mu);
  self->cancel_timeout = timeout;
  return status::kOk;
}

std::shared_ptr<CallControl> Runtime::begin_call(transport::Protseq protseq) {
  auto self = current_thread();
  std::lock_guard lock(self->mu);
  // One CallControl per thread, reused call after call: its eventfd is made once, not per call.
  // A canceller still holding the previous call's pointer can at most wake this call spuriously.
  if (!self->control) self->control = std::make_shared<CallControl>();
  auto call = self->control;
  std::lock_guard call_lock(call->mu);
  call->protseq = protseq;
  call->cancel = CallCancel{};
  call->io = nullptr;
  if (call->woken) {
    call->waker.consume();
    call->woken = false;
  }
  // A pending cancel applies only where a cancel could have been posted (CS-PS-1).
  if (self->pending && transport::cancel_capable(protseq)) {
    call->cancel.carry_pending(self->pending_timeout);
    self->pending = false;
  }
  self->call = call;
  return call;
}

void Runtime::end_call(const std::shared_ptr<CallControl>& call, bool leave_cancel_pending) {
  auto self = current_thread();
  std::lock_guard lock(self->mu);
  if (self->call == call) self->call.reset();
  std::lock_guard call_lock(call->mu);
  // A cancel the server missed (CS-RES-3), or one posted to the call too late to be sent (after
  // its reply was taken, say), waits for the thread's next call like one posted a moment later
  // (CS-IDLE-1). One already pending was posted later still, so its timeout stands.
  bool undelivered =
      call->cancel.owed() > 0 ||
      (call->cancel.phase() == CancelPhase::before_first && call->cancel.posted() > 0);
  bool leave = leave_cancel_pending || undelivered;
  call->cancel.finish();
  if (leave && !self->pending) {
    self->pending = true;
    self->pending_timeout = call->cancel.last_timeout();
  }
}

}  // namespace rpcfit::rpc
