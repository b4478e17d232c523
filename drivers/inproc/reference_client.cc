#include "drivers/inproc/reference_client.h"

#include <algorithm>
#include <exception>
#include <set>
#include <sstream>
#include <utility>

#include "drivers/runtime/rpc.h"
#include "drivers/runtime/test_interface.h"

namespace rpcfit::inproc {
namespace {

run::CallOutcome failed(RpcStatus status, std::string detail) {
  run::CallOutcome outcome;
  outcome.returned = false;
  outcome.status = status;
  outcome.detail = std::move(detail);
  return outcome;
}

}  // namespace

Result<std::unique_ptr<ReferenceClient>, std::string> ReferenceClient::open(
    const ReferenceClientSetup& setup) {
  if (setup.clock == nullptr) {
    return unexpected(std::string("the reference client needs a clock"));
  }
  auto world = std::make_shared<ClientWorld>();
  world->clock = setup.clock;
  world->sink = std::make_shared<WireSink>(*setup.clock, setup.capture);
  rpc::RuntimeOptions options;
  options.clock = setup.clock;
  options.capture = world->sink.get();
  options.run_dir = setup.run_dir;
  options.legacy_platform = setup.legacy_platform;
  options.seed = setup.seed;
  options.stream_decorator = setup.stream_decorator;
  options.datagram_decorator = setup.datagram_decorator;
  world->runtime = std::make_unique<rpc::Runtime>(std::move(options));
  auto binding = rpc::Binding::from_string(*world->runtime, setup.binding, setup.binding_options);
  if (!binding) {
    return unexpected("binding " + setup.binding + ": " + rpc::status_text(binding.error()));
  }
  world->binding = *binding;
  world->protseq = world->binding->string_binding().protseq;
  return std::unique_ptr<ReferenceClient>(new ReferenceClient(std::move(world)));
}

ReferenceClient::~ReferenceClient() {
  end_calls();
  finish();
  {
    // A `done` already running may use what its caller owns; the caller may free it once we
    // return. Later completions find `detached` and call nothing.
    std::unique_lock lock(world_->mu);
    world_->detached = true;
    world_->cv.wait(lock, [&] { return world_->in_done == 0; });
  }
  world_->sink->detach_forward();
  world_.reset();  // the last reference, unless a call that could not be ended holds one
}

std::uint32_t ReferenceClient::register_thread() {
  return world_->runtime->GetCurrentThreadId();
}

run::CallOutcome ReferenceClient::call(std::uint16_t opnum, ByteView input) {
  // Only `world` from here on: a call stuck past the client's end must not touch `this`.
  std::shared_ptr<ClientWorld> world = world_;
  const rpc::ThreadId thread = world->runtime->GetCurrentThreadId();
  std::shared_ptr<rpc::Binding> binding;
  std::uint64_t token = 0;
  {
    std::lock_guard lock(world->mu);
    if (world->closing || !world->binding) {
      return failed(status::kInvalidBinding, "the session is shut down");
    }
    binding = world->binding;
    token = world->next_sync++;
    world->sync_calls.emplace(token, ClientWorld::SyncCall{thread, opnum});
    world->cv.notify_all();
  }
  run::CallOutcome outcome;
  try {
    outcome.output = binding->call(rpc::test_interface_id(), opnum, input);
    outcome.returned = true;
    outcome.status = status::kOk;
  } catch (const rpc::RpcException& e) {
    outcome = failed(e.status(), e.what());
  } catch (const std::bad_alloc&) {
    outcome = failed(status::kOutOfMemory, "out of memory");
  } catch (const std::exception& e) {
    // Not something the runtime raises; reported rather than thrown across the seam.
    outcome = failed(status::kCallFailed, std::string("unexpected exception: ") + e.what());
  }
  binding.reset();
  {
    std::lock_guard lock(world->mu);
    world->sync_calls.erase(token);
    world->cv.notify_all();
  }
  return outcome;
}

RpcStatus ReferenceClient::set_cancel_timeout(long timeout) {
  return world_->runtime->RpcMgmtSetCancelTimeout(timeout);
}

std::uint64_t ReferenceClient::open_thread(std::uint32_t access, std::uint32_t thread_id) {
  return world_->runtime->OpenThread(access, thread_id);
}

bool ReferenceClient::close_handle(std::uint64_t handle) {
  return world_->runtime->CloseHandle(handle);
}

RpcStatus ReferenceClient::cancel_thread_ex(std::uint64_t handle, long timeout) {
  return world_->runtime->RpcCancelThreadEx(handle, timeout);
}

RpcStatus ReferenceClient::cancel_thread(std::uint64_t handle) {
  return world_->runtime->RpcCancelThread(handle);
}

RpcStatus ReferenceClient::begin_async(int key, std::uint16_t opnum, ByteView input,
                                       std::function<void(const run::CallOutcome&)> done) {
  std::shared_ptr<ClientWorld> world = world_;
  AsyncSlot* slot = nullptr;
  std::shared_ptr<rpc::Binding> binding;
  {
    std::lock_guard lock(world->mu);
    if (world->closing || !world->binding) return status::kInvalidBinding;
    auto& owned = world->async[key];
    if (!owned) owned = std::make_unique<AsyncSlot>();
    slot = owned.get();  // slots are never erased while the world lives
    // The key's previous call has not completed: its state is not free (as Win32's would not be).
    if (slot->outstanding) return status::kInvalidAsyncHandle;
    // Marked before the call begins, so that end_calls() from now on finds it and waits for the
    // slot's lock, under which the call begins.
    slot->outstanding = true;
    slot->opnum = opnum;
    ++world->async_outstanding;
    binding = world->binding;
  }

  auto completed = [world, slot, done = std::move(done)](rpc::RpcAsyncState&) {
    Bytes reply;
    RpcStatus result = status::kOk;
    {
      std::lock_guard lock(slot->mu);
      result = rpc::RpcAsyncCompleteCall(&slot->state, &reply);
    }
    run::CallOutcome outcome;
    outcome.returned = result == status::kOk;
    outcome.status = result;
    if (outcome.returned) outcome.output = std::move(reply);
    if (!outcome.returned) outcome.detail = rpc::status_text(result);
    bool tell = false;
    {
      std::lock_guard lock(world->mu);
      tell = !world->detached;
      if (tell) ++world->in_done;
    }
    if (tell) done(outcome);
    std::lock_guard lock(world->mu);
    if (tell) --world->in_done;
    slot->outstanding = false;
    --world->async_outstanding;
    world->cv.notify_all();
  };

  RpcStatus begun = status::kOk;
  {
    std::lock_guard lock(slot->mu);
    slot->state = rpc::RpcAsyncState{};
    begun = rpc::RpcAsyncInitializeHandle(&slot->state);
    if (begun == status::kOk) {
      slot->state.notification = rpc::RpcNotification::callback;
      slot->state.callback = std::move(completed);
      begun = binding->call_async(slot->state, rpc::test_interface_id(), opnum, input);
      // The call keeps its own copy of the callback (and with it the world) until it completes;
      // one left here would keep the world alive for ever through the slot.
      slot->state.callback = nullptr;
    }
  }
  if (begun != status::kOk) {
    std::lock_guard lock(world->mu);
    slot->outstanding = false;
    --world->async_outstanding;
    world->cv.notify_all();
  }
  return begun;
}

RpcStatus ReferenceClient::cancel_async(int key, bool abortive) {
  AsyncSlot* slot = nullptr;
  {
    std::lock_guard lock(world_->mu);
    auto it = world_->async.find(key);
    if (it == world_->async.end()) return status::kInvalidAsyncHandle;
    slot = it->second.get();
  }
  std::lock_guard lock(slot->mu);
  return rpc::RpcAsyncCancelCall(&slot->state, abortive);
}

void ReferenceClient::end_calls() {
  std::lock_guard once(end_mu_);
  if (calls_ended_) return;
  calls_ended_ = true;
  ClientWorld& world = *world_;
  std::vector<std::pair<std::uint64_t, rpc::ThreadId>> threads;  // token, thread
  std::vector<AsyncSlot*> slots;
  {
    std::lock_guard lock(world.mu);
    world.closing = true;
    for (const auto& [token, call] : world.sync_calls)
      threads.emplace_back(token, call.thread);
    for (const auto& [key, slot] : world.async) {
      if (slot->outstanding) slots.push_back(slot.get());
    }
  }
  // An immediate orphan, where RpcCancelThreadEx can post one: not on the sequences that cannot
  // be cancelled, nor from a legacy client. Those calls end when the server stops, with the
  // routine's reply or a lost connection; a datagram call whose server is silent does not.
  std::set<std::uint64_t> orphaned;
  for (const auto& [token, thread] : threads) {
    const auto handle = world.runtime->OpenThread(rpc::access::kThreadAllAccess, thread);
    if (handle == 0) continue;  // the thread has exited, so its call has ended
    if (world.runtime->RpcCancelThreadEx(handle, 0) == status::kOk) orphaned.insert(token);
    world.runtime->CloseHandle(handle);
  }
  for (AsyncSlot* slot : slots) {
    std::lock_guard lock(slot->mu);
    rpc::RpcAsyncCancelCall(&slot->state, true);  // any sequence (async.h)
  }
  // The orphaned calls end first: once the server stops, a hung routine returns, and its reply
  // would race the orphan, so the call could end either way.
  std::unique_lock lock(world.mu);
  world.cv.wait_for(lock, end_patience_, [&] {
    return std::none_of(orphaned.begin(), orphaned.end(),
                        [&](std::uint64_t token) { return world.sync_calls.count(token) > 0; }) &&
           std::none_of(slots.begin(), slots.end(),
                        [](const AsyncSlot* slot) { return slot->outstanding; });
  });
}

std::string ReferenceClient::finish() {
  std::lock_guard once(end_mu_);
  if (finished_) return finish_report_;
  finished_ = true;
  ClientWorld& world = *world_;
  std::shared_ptr<rpc::Binding> binding;
  {
    std::unique_lock lock(world.mu);
    world.closing = true;
    world.cv.wait_for(lock, end_patience_,
                      [&] { return world.sync_calls.empty() && world.async_outstanding == 0; });
    const std::size_t left = world.sync_calls.size() + world.async_outstanding;
    if (left > 0) {
      std::ostringstream out;
      out << left << (left == 1 ? " call" : " calls") << " still running on "
          << transport::protseq_name(world.protseq) << ":";
      const char* sep = " ";
      for (const auto& [token, call] : world.sync_calls) {
        out << sep << "opnum " << call.opnum << " on thread " << call.thread;
        sep = ", ";
      }
      for (const auto& [key, slot] : world.async) {
        if (!slot->outstanding) continue;
        out << sep << "async call " << key << " (opnum " << slot->opnum << ")";
        sep = ", ";
      }
      finish_report_ = out.str();
    }
    binding = std::move(world.binding);
  }
  binding.reset();  // outside the lock: it closes its idle connections, teeing to the sink
  return finish_report_;
}

bool ReferenceClient::wait_sync_calls(std::size_t n, std::chrono::milliseconds patience) const {
  std::unique_lock lock(world_->mu);
  return world_->cv.wait_for(lock, patience, [&] { return world_->sync_calls.size() >= n; });
}

}  // namespace rpcfit::inproc
