// One in-process session (inproc_driver.h): its World, and the DriverSession over it.
//
// Lifetime: runtime threads call into the session late. Server threads record into the
// ServerBook (held by the routines, so a routine Server::stop abandoned may record on); the
// server observer is not called once stop() returns. Client calls run in the client Runtime and
// through the Binding; an async call's thread runs the completion callback. So everything those
// reach is one shared World: a sync call holds it for its duration, an async call's callback
// holds it until the call completes. A call that could not be ended by shutdown() thus keeps the
// runtime it runs in alive instead of running into freed memory; once the session is destroyed,
// no `done` callback is called and nothing is forwarded to the run's capture sink. The run's
// Clock must still outlive such a call (as for any abandoned routine, drivers/runtime README).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "drivers/fault/fault_plan.h"
#include "drivers/inproc/server_book.h"
#include "drivers/inproc/wire_sink.h"
#include "drivers/runtime/async.h"
#include "drivers/runtime/client.h"
#include "drivers/runtime/runtime.h"
#include "drivers/runtime/server.h"
#include "drivers/server/behaviour.h"
#include "drivers/transport/protseq.h"
#include "harness/seams/runtime_driver.h"

namespace rpcfit::inproc {

// One asynchronous call slot of the scenario, by its key. `mu` guards `state`: the completion
// callback (on the call's thread) and RpcAsyncCancelCall (from the timeline) both touch it.
struct AsyncSlot {
  std::mutex mu;
  rpc::RpcAsyncState state;
  std::uint16_t opnum = 0;
  bool outstanding = false;  // begun and its `done` not yet returned; guarded by World::mu
};

struct World {
  // Declared in teardown order reversed: members go last to first, so the binding goes before
  // the server, both before the runtimes, and the sink that all of them tee to goes last.
  Clock* clock = nullptr;
  transport::Protseq protseq = transport::Protseq::ncacn_ip_tcp;
  std::shared_ptr<WireSink> sink;
  std::shared_ptr<ServerBook> book;
  std::shared_ptr<server::EventRecorder> recorder;
  std::shared_ptr<fault::FaultPlan> plan;  // null without faults
  std::unique_ptr<rpc::Runtime> server_runtime;
  std::unique_ptr<rpc::Runtime> client;
  std::unique_ptr<rpc::Server> server;

  std::mutex mu;
  std::condition_variable cv;             // a call ended; a `done` returned
  std::shared_ptr<rpc::Binding> binding;  // null once shut down
  bool closing = false;                   // shutdown() began: no call may start
  bool detached = false;                  // the session is gone: no `done` is called
  int in_done = 0;                        // `done` callbacks running
  struct SyncCall {
    rpc::ThreadId thread = 0;
    std::uint16_t opnum = 0;
  };
  std::uint64_t next_sync = 0;
  std::map<std::uint64_t, SyncCall> sync_calls;  // in progress
  std::map<int, std::unique_ptr<AsyncSlot>> async;
  std::size_t async_outstanding = 0;
};

class InprocSession final : public run::DriverSession {
 public:
  InprocSession(std::shared_ptr<World> world, std::uint64_t seed);
  ~InprocSession() override;
  InprocSession(const InprocSession&) = delete;
  InprocSession& operator=(const InprocSession&) = delete;

  std::uint32_t register_thread() override;
  run::CallOutcome call(std::uint16_t opnum, ByteView input) override;
  RpcStatus set_cancel_timeout(long timeout) override;

  std::uint64_t open_thread(std::uint32_t access, std::uint32_t thread_id) override;
  bool close_handle(std::uint64_t handle) override;
  RpcStatus cancel_thread_ex(std::uint64_t handle, long timeout) override;
  RpcStatus cancel_thread(std::uint64_t handle) override;
  RpcStatus begin_async(int key, std::uint16_t opnum, ByteView input,
                        std::function<void(const run::CallOutcome&)> done) override;
  RpcStatus cancel_async(int key, bool abortive) override;

  std::vector<run::WirePdu> wire() const override;
  std::vector<run::ServerCallRecord> server_calls() const override;
  std::uint64_t fault_seed() const override { return seed_; }
  std::string faults_injected() const override;

  std::string shutdown(Duration bound) override;

  // For tests: waits (real time) until the observations satisfy `done`.
  bool wait_wire(const std::function<bool(const std::vector<run::WirePdu>&)>& done,
                 std::chrono::milliseconds patience) const;
  // Until `n` synchronous calls are in progress in call().
  bool wait_sync_calls(std::size_t n, std::chrono::milliseconds patience) const;
  bool wait_server_calls(const std::function<bool(const std::vector<run::ServerCallRecord>&)>& done,
                         std::chrono::milliseconds patience) const;
  // How long shutdown() waits, in real time, for the calls it ended to return (each of its two
  // waits). Ending them takes no round trip (an orphan is immediate): the default is for loaded
  // machines; tests of calls that cannot be ended shorten it.
  void set_end_patience(std::chrono::milliseconds patience) { end_patience_ = patience; }

 private:
  std::shared_ptr<World> world_;
  std::uint64_t seed_;
  std::mutex shutdown_mu_;  // one shutdown at a time; a second caller gets the first's report
  std::chrono::milliseconds end_patience_{10000};
  bool shut_down_ = false;
  std::string shutdown_report_;
};

}  // namespace rpcfit::inproc
