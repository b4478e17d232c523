#include "drivers/runtime/async.h"

#include <system_error>
#include <thread>

#include "drivers/runtime/async_phase.h"
#include "drivers/runtime/call_control.h"

namespace rpcfit::rpc {
namespace {
// RPC_ASYNC_STATE's Signature: "ASYC".
constexpr std::uint32_t kAsyncSignature = 0x43595341;
}  // namespace

void RpcEvent::set() {
  std::lock_guard lock(mu_);
  set_ = true;
  cv_.notify_all();
}

void RpcEvent::reset() {
  std::lock_guard lock(mu_);
  set_ = false;
}

bool RpcEvent::is_set() const {
  std::lock_guard lock(mu_);
  return set_;
}

bool RpcEvent::wait_for(std::chrono::nanoseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return set_; });
}

// One asynchronous call: its thread runs the call's protocol as a synchronous call would, under a
// CallControl of its own that only RpcAsyncCancelCall posts to.
class AsyncCall : public std::enable_shared_from_this<AsyncCall> {
 public:
  explicit AsyncCall(std::shared_ptr<Binding> binding)
      : binding_(std::move(binding)), clock_(binding_->runtime().clock()) {
    control_->protseq = binding_->string_binding().protseq;
  }
  ~AsyncCall() { release_thread(); }
  AsyncCall(const AsyncCall&) = delete;
  AsyncCall& operator=(const AsyncCall&) = delete;

  // Starts the thread. How to notify is read from `state` now; a callback gets `state`, which
  // must then outlive the call, as in Win32.
  void start(RpcAsyncState& state, const wire::SyntaxId& iface, std::uint16_t opnum, Bytes input) {
    notification_ = state.notification;
    event_ = state.event;
    callback_ = state.callback;
    // Under the lock, so a callback on the new thread that completes the call sees thread_ set.
    std::lock_guard lock(thread_mu_);
    thread_ = std::thread([self = shared_from_this(), &state, iface, opnum,
                           input = std::move(input)] { self->run(state, iface, opnum, input); });
  }

  RpcStatus status() const {
    std::lock_guard lock(mu_);
    return has_outcome(phase_) ? status_ : status::kAsyncCallPending;
  }

  // The outcome once done; false while the call runs.
  bool take(RpcStatus& status, Bytes* reply) {
    {
      std::lock_guard lock(mu_);
      if (!on_take(phase_)) return false;
      status = status_;
      if (reply != nullptr) *reply = std::move(reply_);
    }
    release_thread();
    return true;
  }

  void cancel(bool abortive) {
    bool wake = false;
    {
      std::lock_guard lock(control_->mu);
      // 0 orphans at once (CS-AS-1, as CS-TMO-3); -1 never does (CS-AS-2). A call that has ended
      // takes no cancel, and none stays pending: no thread owns this call.
      post_cancel_locked(*control_, clock_.now(), abortive ? 0 : -1, wake);
    }
    if (wake) control_->waker.wake();
  }

 private:
  void run(RpcAsyncState& state, const wire::SyntaxId& iface, std::uint16_t opnum,
           const Bytes& input) {
    Bytes out;
    RpcStatus result = status::kOk;
    try {
      bool leave_pending = false;  // an async call has no thread to leave a cancel on
      out = binding_->run_call(*control_, iface, opnum, input, leave_pending);
    } catch (const RpcException& e) {
      result = e.status();
    } catch (const std::bad_alloc&) {
      result = status::kOutOfMemory;
    }
    {
      std::lock_guard lock(control_->mu);
      control_->cancel.finish();
    }
    // The binding is let go before anyone hears of the end: once the caller drops its own
    // reference, the binding (and any ack its activities owe) goes while the runtime it belongs
    // to, and that runtime's capture sink, are surely there.
    binding_.reset();
    {
      std::lock_guard lock(mu_);
      phase_ = on_end(phase_);
      status_ = result;
      reply_ = std::move(out);
    }
    switch (notification_) {
      case RpcNotification::none:
        break;
      case RpcNotification::event:
        if (event_ != nullptr) event_->set();
        break;
      case RpcNotification::callback:
        if (callback_) callback_(state);
        break;
    }
  }

  // Joins the call's thread, or detaches it when that is the calling thread (a completion
  // callback that completes the call, or the thread dropping the last reference).
  void release_thread() {
    std::lock_guard lock(thread_mu_);
    if (!thread_.joinable()) return;
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
  }

  std::shared_ptr<Binding> binding_;  // until the call ends; only the call's thread uses it
  Clock& clock_;
  std::shared_ptr<CallControl> control_ = std::make_shared<CallControl>();
  RpcNotification notification_ = RpcNotification::none;
  RpcEvent* event_ = nullptr;
  std::function<void(RpcAsyncState&)> callback_;
  std::mutex thread_mu_;
  std::thread thread_;
  mutable std::mutex mu_;
  AsyncPhase phase_ = AsyncPhase::pending;  // guarded by mu_, as are status_ and reply_
  RpcStatus status_ = status::kOk;
  Bytes reply_;
};

RpcStatus Binding::call_async(RpcAsyncState& state, const wire::SyntaxId& iface,
                              std::uint16_t opnum, ByteView input) {
  if (state.signature != kAsyncSignature || state.runtime_info) {
    return status::kInvalidAsyncHandle;
  }
  auto call = std::make_shared<AsyncCall>(shared_from_this());
  state.runtime_info = call;
  try {
    call->start(state, iface, opnum, Bytes(input.begin(), input.end()));
  } catch (const std::system_error&) {
    state.runtime_info.reset();
    return status::kOutOfMemory;  // no thread for it: the call was not begun
  }
  return status::kOk;
}

RpcStatus RpcAsyncInitializeHandle(RpcAsyncState* state) {
  if (state == nullptr) return status::kInvalidArg;
  if (state->runtime_info) return status::kInvalidAsyncHandle;
  state->signature = kAsyncSignature;
  return status::kOk;
}

RpcStatus RpcAsyncGetCallStatus(const RpcAsyncState* state) {
  if (state == nullptr || state->signature != kAsyncSignature || !state->runtime_info) {
    return status::kInvalidAsyncHandle;
  }
  return state->runtime_info->status();
}

RpcStatus RpcAsyncCompleteCall(RpcAsyncState* state, Bytes* reply) {
  if (state == nullptr || state->signature != kAsyncSignature || !state->runtime_info) {
    return status::kInvalidAsyncHandle;
  }
  RpcStatus result = status::kOk;
  if (!state->runtime_info->take(result, reply)) return status::kAsyncCallPending;
  state->runtime_info.reset();
  return result;
}

RpcStatus RpcAsyncCancelCall(RpcAsyncState* state, bool abortive) {
  if (state == nullptr || state->signature != kAsyncSignature || !state->runtime_info) {
    return status::kInvalidAsyncHandle;  // CS-AS-3
  }
  state->runtime_info->cancel(abortive);
  return status::kOk;
}

}  // namespace rpcfit::rpc
