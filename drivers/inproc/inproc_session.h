// One in-process session (inproc_driver.h): the reference client (reference_client.h) calling the
// reference server (reference_server.h), both of rpcfit's runtime in this process, and the
// DriverSession over them. The wire the checks see is the client's view.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "drivers/fault/fault_plan.h"
#include "drivers/inproc/reference_client.h"
#include "drivers/inproc/reference_server.h"
#include "harness/seams/runtime_driver.h"

namespace rpcfit::inproc {

class InprocSession final : public run::DriverSession {
 public:
  // `plan`: the faults both sides apply (null without faults), for the counters.
  InprocSession(std::unique_ptr<ReferenceServer> server, std::unique_ptr<ReferenceClient> client,
                std::shared_ptr<fault::FaultPlan> plan, std::uint64_t seed);
  ~InprocSession() override;
  InprocSession(const InprocSession&) = delete;
  InprocSession& operator=(const InprocSession&) = delete;

  std::uint32_t register_thread() override { return client_->register_thread(); }
  run::CallOutcome call(std::uint16_t opnum, ByteView input) override {
    return client_->call(opnum, input);
  }
  RpcStatus set_cancel_timeout(long timeout) override {
    return client_->set_cancel_timeout(timeout);
  }

  std::uint64_t open_thread(std::uint32_t access, std::uint32_t thread_id) override {
    return client_->open_thread(access, thread_id);
  }
  bool close_handle(std::uint64_t handle) override { return client_->close_handle(handle); }
  RpcStatus cancel_thread_ex(std::uint64_t handle, long timeout) override {
    return client_->cancel_thread_ex(handle, timeout);
  }
  RpcStatus cancel_thread(std::uint64_t handle) override { return client_->cancel_thread(handle); }
  RpcStatus begin_async(int key, std::uint16_t opnum, ByteView input,
                        std::function<void(const run::CallOutcome&)> done) override {
    return client_->begin_async(key, opnum, input, std::move(done));
  }
  RpcStatus cancel_async(int key, bool abortive) override {
    return client_->cancel_async(key, abortive);
  }

  std::vector<run::WirePdu> wire() const override { return client_->wire(); }
  std::vector<run::ServerCallRecord> server_calls() const override { return server_->calls(); }
  std::uint64_t fault_seed() const override { return seed_; }
  std::string faults_injected() const override;

  // The client's calls end (orphaned where they can be), the server stops (routines still
  // running after `bound` abandoned), then the rest of the calls end: what still runs is said.
  std::string shutdown(Duration bound) override;

  // For tests.
  bool wait_wire(const std::function<bool(const std::vector<run::WirePdu>&)>& done,
                 std::chrono::milliseconds patience) const {
    return client_->wait_wire(done, patience);
  }
  bool wait_sync_calls(std::size_t n, std::chrono::milliseconds patience) const {
    return client_->wait_sync_calls(n, patience);
  }
  bool wait_server_calls(const std::function<bool(const std::vector<run::ServerCallRecord>&)>& done,
                         std::chrono::milliseconds patience) const {
    return server_->wait_calls(done, patience);
  }
  void set_end_patience(std::chrono::milliseconds patience) { client_->set_end_patience(patience); }

 private:
  // Declared so that the client goes before the server it calls.
  std::unique_ptr<ReferenceServer> server_;
  std::unique_ptr<ReferenceClient> client_;
  std::shared_ptr<fault::FaultPlan> plan_;
  std::uint64_t seed_;
  std::mutex shutdown_mu_;  // one shutdown at a time; a second caller gets the first's report
  bool shut_down_ = false;
  std::string shutdown_report_;
};

}  // namespace rpcfit::inproc
