#include "drivers/runtime/server_async.h"

namespace rpcfit::rpc {

RpcStatus AsyncServerCall::finish(std::optional<Bytes> reply, RpcStatus status) {
  ServerCall* call = nullptr;
  {
    std::lock_guard lock(mu_);
    if (done_ || call_ == nullptr) return status::kInvalidAsyncCall;
    reply_ = std::move(reply);
    status_ = status;
    done_ = true;
    call = call_;
    // The waiting thread keeps the ServerCall until it has seen done_, which needs this wake.
    call->wake_waiters();
  }
  return status::kOk;
}

RpcStatus AsyncServerCall::complete(Bytes reply) {
  return finish(std::move(reply), status::kOk);
}

RpcStatus AsyncServerCall::abort(RpcStatus status) {
  return finish(std::nullopt, status);
}

RpcStatus AsyncServerCall::test_cancel() {
  std::lock_guard lock(mu_);
  if (call_ == nullptr) return status::kNoCallActive;
  return RpcServerTestCancel(call_);
}

ServerCall* AsyncServerCall::binding() {
  std::lock_guard lock(mu_);
  return call_;
}

std::optional<Bytes> AsyncServerCall::wait() {
  ServerCall* call = nullptr;
  {
    std::lock_guard lock(mu_);
    call = call_;
  }
  call->wait_until([this] { return done_.load(); });
  std::lock_guard lock(mu_);
  call_ = nullptr;  // the ServerCall goes with the waiting thread's frame
  if (!done_) return std::nullopt;
  if (!reply_) RpcRaiseException(status_);
  return std::move(reply_);
}

ManagerRoutine async_manager(AsyncManagerRoutine routine) {
  return [routine = std::move(routine)](ServerCall& call, ByteView input) {
    auto handle = std::make_shared<AsyncServerCall>(call);
    routine(handle, input);
    auto reply = handle->wait();
    if (!reply) RpcRaiseException(status::kCallFailed);  // the server is stopping
    return std::move(*reply);
  };
}

RpcStatus RpcAsyncCompleteCall(AsyncServerCall& call, Bytes reply) {
  return call.complete(std::move(reply));
}

RpcStatus RpcAsyncAbortCall(AsyncServerCall& call, RpcStatus status) {
  return call.abort(status);
}

BindingHandle* RpcAsyncGetCallHandle(AsyncServerCall& call) {
  return call.binding();
}

}  // namespace rpcfit::rpc
