#include "harness/run/fake_driver.h"

#include <thread>
#include <vector>

namespace rpcfit::run::testing {
namespace {

class FakeSession : public DriverSession {
 public:
  FakeSession(const SessionSetup& setup, std::shared_ptr<FakeDriver::Shared> shared,
              bool cancel_blocks, std::chrono::milliseconds cancel_takes, bool wrong_answer)
      : clock_(*setup.clock),
        shared_(std::move(shared)),
        cancel_blocks_(cancel_blocks),
        cancel_takes_(cancel_takes),
        wrong_answer_(wrong_answer) {}

  std::uint32_t register_thread() override {
    std::lock_guard lock(mu_);
    const auto id = static_cast<std::uint32_t>(1000 + threads_.size());
    threads_[std::this_thread::get_id()] = id;
    return id;
  }

  CallOutcome call(std::uint16_t opnum, ByteView input) override {
    std::unique_lock lock(mu_);
    const std::uint32_t self = threads_[std::this_thread::get_id()];
    const std::size_t server_call = start_server_call(opnum);
    if (opnum == 0) {
      finish_server_call(server_call, ServerResult::response);
      Bytes output(input.begin(), input.end());
      if (wrong_answer_) {
        for (auto& b : output)
          b = static_cast<std::uint8_t>(~b);
      }
      return CallOutcome{true, status::kOk, std::move(output), "", std::nullopt};
    }
    if (opnum == 2) {
      lock.unlock();
      std::unique_lock shared(shared_->mu);
      shared_->cv.wait(shared, [&] { return shared_->released; });
      return CallOutcome{false, status::kCallFailed, {}, "released", std::nullopt};
    }
    in_call_[self] = true;
    std::optional<Duration> ends;
    for (;;) {
      if (shut_down_) {
        in_call_[self] = false;
        return CallOutcome{false, status::kCallFailed, {}, "session shut down", std::nullopt};
      }
      const auto it = cancel_at_.find(self);
      if (it != cancel_at_.end() && it->second && clock_.now() >= *it->second) {
        in_call_[self] = false;
        cancel_at_.erase(self);
        server_calls_[server_call].result = ServerResult::discarded;
        return CallOutcome{
            false, status::kCallCancelled, {}, "cancel timeout expired", std::nullopt};
      }
      if (it != cancel_at_.end() && it->second) {
        cv_.wait_until(lock, clock_.to_steady(*it->second));
      } else {
        cv_.wait(lock);
      }
    }
  }

  RpcStatus set_cancel_timeout(long timeout) override {
    return timeout < -1 ? status::kInvalidTimeout : status::kOk;
  }

  std::uint64_t open_thread(std::uint32_t access, std::uint32_t thread_id) override {
    std::lock_guard lock(mu_);
    const std::uint64_t handle = next_handle_++;
    handles_[handle] = {access, thread_id};
    return handle;
  }

  bool close_handle(std::uint64_t handle) override {
    std::lock_guard lock(mu_);
    return handles_.erase(handle) == 1;
  }

  RpcStatus cancel_thread_ex(std::uint64_t handle, long timeout) override {
    // A slow API, as a runtime that does too much in RpcCancelThreadEx would be.
    if (cancel_takes_ > std::chrono::milliseconds::zero())
      std::this_thread::sleep_for(cancel_takes_);
    if (cancel_blocks_) {
      std::unique_lock shared(shared_->mu);  // not mu_: shutdown must still end the calls
      shared_->cv.wait(shared, [&] { return shared_->released; });
    }
    std::lock_guard lock(mu_);
    const auto it = handles_.find(handle);
    if (it == handles_.end()) return status::kInvalidArg;
    if ((it->second.first & 0x10) == 0) return status::kAccessDenied;
    if (timeout < -1) return status::kInvalidTimeout;
    std::optional<Duration> at;
    if (timeout >= 0) at = clock_.now() + seconds(timeout);
    cancel_at_[it->second.second] = at;
    cv_.notify_all();
    return status::kOk;
  }

  RpcStatus cancel_thread(std::uint64_t handle) override { return cancel_thread_ex(handle, -1); }

  RpcStatus begin_async(int key, std::uint16_t opnum, ByteView input,
                        std::function<void(const CallOutcome&)> done) override {
    {
      std::lock_guard lock(mu_);
      start_server_call(opnum);
      if (opnum != 0) {
        async_[key] = std::move(done);
        return status::kOk;
      }
    }
    done(CallOutcome{true, status::kOk, Bytes(input.begin(), input.end()), "", std::nullopt});
    return status::kOk;
  }

  RpcStatus cancel_async(int key, bool) override {
    std::function<void(const CallOutcome&)> done;
    {
      std::lock_guard lock(mu_);
      const auto it = async_.find(key);
      if (it == async_.end()) return status::kInvalidAsyncHandle;
      done = std::move(it->second);
      async_.erase(it);
    }
    done(CallOutcome{false, status::kCallCancelled, {}, "cancelled", std::nullopt});
    return status::kOk;
  }

  std::vector<WirePdu> wire() const override { return {}; }
  std::vector<ServerCallRecord> server_calls() const override {
    std::lock_guard lock(mu_);
    return server_calls_;
  }
  std::uint64_t fault_seed() const override { return 0; }
  std::string faults_injected() const override { return ""; }

  std::string shutdown(Duration) override {
    std::map<int, std::function<void(const CallOutcome&)>> async;
    {
      std::lock_guard lock(mu_);
      shut_down_ = true;
      async.swap(async_);
      cv_.notify_all();
    }
    for (auto& [key, done] : async)
      done(CallOutcome{false, status::kCallFailed, {}, "shut down", std::nullopt});
    return "";
  }

 private:
  std::size_t start_server_call(std::uint16_t opnum) {  // mu_ held
    ServerCallRecord record;
    record.call_id = static_cast<std::uint32_t>(server_calls_.size() + 1);
    record.opnum = opnum;
    record.events.push_back({server::EventKind::started, clock_.now(), record.call_id, opnum});
    server_calls_.push_back(record);
    return server_calls_.size() - 1;
  }
  void finish_server_call(std::size_t index, ServerResult result) {  // mu_ held
    ServerCallRecord& record = server_calls_[index];
    record.events.push_back(
        {server::EventKind::finished, clock_.now(), record.call_id, record.opnum});
    record.result = result;
  }

  const Clock& clock_;
  std::shared_ptr<FakeDriver::Shared> shared_;
  const bool cancel_blocks_;
  const std::chrono::milliseconds cancel_takes_;
  const bool wrong_answer_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::thread::id, std::uint32_t> threads_;
  std::map<std::uint32_t, bool> in_call_;
  std::map<std::uint32_t, std::optional<Duration>> cancel_at_;
  std::map<std::uint64_t, std::pair<std::uint32_t, std::uint32_t>> handles_;
  std::uint64_t next_handle_ = 1;
  std::map<int, std::function<void(const CallOutcome&)>> async_;
  std::vector<ServerCallRecord> server_calls_;
  bool shut_down_ = false;
};

}  // namespace

Result<std::unique_ptr<DriverSession>, SessionError> FakeDriver::open(const SessionSetup& setup) {
  if (refuse) return unexpected(*refuse);
  {
    std::lock_guard lock(shared_->mu);
    ++shared_->opened;
  }
  const bool wrong = wrong_answers > 0;
  if (wrong) --wrong_answers;
  return std::unique_ptr<DriverSession>(
      std::make_unique<FakeSession>(setup, shared_, cancel_blocks, cancel_takes, wrong));
}

void FakeDriver::release() {
  std::lock_guard lock(shared_->mu);
  shared_->released = true;
  shared_->cv.notify_all();
}

int FakeDriver::opened() const {
  std::lock_guard lock(shared_->mu);
  return shared_->opened;
}

}  // namespace rpcfit::run::testing
