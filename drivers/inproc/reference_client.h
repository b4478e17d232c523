// The reference client: rpcfit's own runtime calling a server under test through the Win32 cancel
// API, one operation per DriverSession client operation (call, RpcCancelThreadEx, async calls,
// ...), and keeping the client's view of the wire (WireSink) as the evidence of what it sent and
// received. It can be opened alone, against any server a string binding names: a foreign server
// under test, or the reference server (reference_server.h) in the in-process driver.
//
// Lifetime: runtime threads call in late (an async call's completion; a call stuck past the end).
// So everything they reach is one shared ClientWorld: a sync call holds it for its duration, an
// async call's callback until the call completes. A call that could not be ended thus keeps the
// runtime it runs in alive instead of running into freed memory; once the client is destroyed no
// `done` callback is called and nothing is forwarded to the run's capture sink. The run's Clock
// must still outlive such a call.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "drivers/inproc/wire_sink.h"
#include "drivers/runtime/async.h"
#include "drivers/runtime/client.h"
#include "drivers/runtime/runtime.h"
#include "drivers/transport/protseq.h"
#include "harness/core/result.h"
#include "harness/seams/runtime_driver.h"

namespace rpcfit::inproc {

struct ReferenceClientSetup {
  Clock* clock = nullptr;
  std::filesystem::path run_dir;        // Unix sockets and queues
  std::string binding;                  // the server's string binding
  rpc::BindingOptions binding_options;  // datagram knobs
  bool legacy_platform = false;         // CS-PLT-1
  std::optional<std::uint64_t> seed;    // the runtime's random choices (activity UUIDs)
  CaptureSink* capture = nullptr;       // also tee the client's PDUs here (the run's), or null
  // Faults on what the client sends (RuntimeOptions): empty for none.
  decltype(rpc::RuntimeOptions::stream_decorator) stream_decorator;
  decltype(rpc::RuntimeOptions::datagram_decorator) datagram_decorator;
};

// One asynchronous call slot, by its key. `mu` guards `state`: the completion callback (on the
// call's thread) and RpcAsyncCancelCall (from the timeline) both touch it.
struct AsyncSlot {
  std::mutex mu;
  rpc::RpcAsyncState state;
  std::uint16_t opnum = 0;
  bool outstanding = false;  // begun and its `done` not yet returned; guarded by ClientWorld::mu
};

struct ClientWorld {
  // Declared in teardown order reversed: the binding goes before the runtime, and the sink that
  // both tee to goes last.
  Clock* clock = nullptr;
  transport::Protseq protseq = transport::Protseq::ncacn_ip_tcp;
  std::shared_ptr<WireSink> sink;
  std::unique_ptr<rpc::Runtime> runtime;

  std::mutex mu;
  std::condition_variable cv;             // a call ended; a `done` returned
  std::shared_ptr<rpc::Binding> binding;  // null once finished
  bool closing = false;                   // end_calls() began: no call may start
  bool detached = false;                  // the client is gone: no `done` is called
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

class ReferenceClient {
 public:
  // The client runtime with a binding to `setup.binding`; the error says why not.
  static Result<std::unique_ptr<ReferenceClient>, std::string> open(
      const ReferenceClientSetup& setup);
  ~ReferenceClient();  // ends what runs (end_calls, finish) and detaches from late callers
  ReferenceClient(const ReferenceClient&) = delete;
  ReferenceClient& operator=(const ReferenceClient&) = delete;

  // The client operations of run::DriverSession (harness/seams/runtime_driver.h).
  std::uint32_t register_thread();
  run::CallOutcome call(std::uint16_t opnum, ByteView input);
  RpcStatus set_cancel_timeout(long timeout);
  std::uint64_t open_thread(std::uint32_t access, std::uint32_t thread_id);
  bool close_handle(std::uint64_t handle);
  RpcStatus cancel_thread_ex(std::uint64_t handle, long timeout);
  RpcStatus cancel_thread(std::uint64_t handle);
  RpcStatus begin_async(int key, std::uint16_t opnum, ByteView input,
                        std::function<void(const run::CallOutcome&)> done);
  RpcStatus cancel_async(int key, bool abortive);
  // The client's view of the wire so far.
  std::vector<run::WirePdu> wire() const { return world_->sink->pdus(); }

  // Ending, in two halves around the server's stop: end_calls() lets no call start, orphans the
  // calls in progress where RpcCancelThreadEx can (a cancel with timeout 0), cancels async calls
  // abortively, and waits for those to return: once the server stops, a hung routine's reply
  // would race the orphan. finish() waits for the rest (ended by the server stopping), drops the
  // binding, and says what is still running ("" when nothing is). Both are idempotent, and one
  // runs at a time.
  void end_calls();
  std::string finish();

  // For tests: waits (real time) until the wire satisfies `done`.
  bool wait_wire(const std::function<bool(const std::vector<run::WirePdu>&)>& done,
                 std::chrono::milliseconds patience) const {
    return world_->sink->wait_until(done, patience);
  }
  // Until `n` synchronous calls are in progress in call().
  bool wait_sync_calls(std::size_t n, std::chrono::milliseconds patience) const;
  // How long each half of the ending waits, in real time, for the calls it ended to return.
  // Ending them takes no round trip (an orphan is immediate): the default is for loaded machines.
  void set_end_patience(std::chrono::milliseconds patience) { end_patience_ = patience; }

 private:
  explicit ReferenceClient(std::shared_ptr<ClientWorld> world) : world_(std::move(world)) {}

  std::shared_ptr<ClientWorld> world_;
  std::chrono::milliseconds end_patience_{10000};
  std::mutex end_mu_;  // end_calls() and finish(), one at a time
  bool calls_ended_ = false;
  bool finished_ = false;
  std::string finish_report_;
};

}  // namespace rpcfit::inproc
