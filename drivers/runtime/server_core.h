// Internals shared by the server's listener threads, connection threads and ServerCalls. Held by
// shared_ptr so routines abandoned at stop() can run on safely.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <list>
#include <optional>
#include <thread>
#include <vector>

#include "drivers/runtime/server.h"
#include "harness/seams/transport.h"

namespace rpcfit::rpc {

class DgEndpoint;

// Where a ServerCall learns of its cancels: its connection (connection-oriented) or its
// endpoint's receive thread (datagram).
class ServerCallHost {
 public:
  virtual ~ServerCallHost() = default;
  // Brings `call`'s cancel state up to date. With a wait, until a cancel for the call arrives,
  // the deadline passes or the server stops; without, never blocks.
  virtual void read_during_call(ServerCall& call, const std::optional<Deadline>& wait) = 0;
  virtual Server::Core& core() const = 0;
  virtual transport::Protseq protseq() const = 0;
};

// Something the server runs on a thread of its own: a connection, or a datagram call.
class ServerWorker {
 public:
  virtual ~ServerWorker() = default;
  virtual void interrupt() = 0;  // from stop(): unblocks its waits
  virtual void abandon() = 0;    // from stop(): it runs on unobserved, its PDUs no longer teed
};

// What a manager routine produced: its output, or the fault status it raised.
struct RoutineOutcome {
  Bytes output;
  std::optional<std::uint32_t> fault;
  std::optional<std::size_t> crash_after;  // ServerCrash: drop the call after this many bytes
};
// Runs `routine` for `call` as the calling thread's current call (RpcTestCancel), with the
// call_started event (and cancel_arrived when `cancelled_before`) and call_finished; an exception
// becomes a fault (CS-SRV-3, CS-SRV-7).
RoutineOutcome run_manager_routine(const Server::Core& core, const ManagerRoutine& routine,
                                   ServerCall& call, ByteView input, bool cancelled_before);

struct Server::Core : std::enable_shared_from_this<Server::Core> {
  Core(Runtime& rt, ServerOptions opts)
      : clock_(&rt.clock()), runtime_options(rt.options()), options(std::move(opts)) {}

  // Copied from the runtime, so routines abandoned by stop() do not reach into a Runtime that may
  // be gone; the clock itself must outlive them (README).
  Clock* clock_;
  const RuntimeOptions runtime_options;
  const ServerOptions options;
  Waker stop_waker;  // fired once by stop(), never consumed: every later wait returns at once
  std::atomic<bool> stopping{false};

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::vector<std::shared_ptr<const InterfaceRegistration>> interfaces;
  struct Listening {
    std::unique_ptr<StreamListener> listener;
    transport::Protseq protseq{};
    std::thread thread;
  };
  std::vector<std::unique_ptr<Listening>> listeners;
  // Datagram endpoints live as long as their threads (workers) and this list.
  std::vector<std::shared_ptr<DgEndpoint>> datagram_endpoints;
  struct Running {
    std::shared_ptr<ServerWorker> worker;
    std::thread thread;
    std::shared_ptr<bool> done = std::make_shared<bool>(false);  // guarded by mu
  };
  bool abandoned = false;      // stop() gave up on routines: no more events; guarded by mu
  mutable int observing = 0;   // emit() calls inside the observer; guarded by mu
  std::list<Running> workers;  // connection threads and datagram endpoint threads
  std::uint32_t next_group_id = 0x1000;

  Clock& clock() const { return *clock_; }
  void emit(ServerEventKind kind, std::uint32_t call_id, std::uint16_t opnum,
            std::uint32_t fault_status = 0) const;
  // The registration serving `id` (same UUID and major version, minor at least the requested).
  std::shared_ptr<const InterfaceRegistration> find_interface(const wire::SyntaxId& id) const;
  std::uint32_t new_group_id();
  void accept_loop(Listening& listening);
  void start_connection(std::unique_ptr<StreamConnection> io, transport::Protseq protseq,
                        const std::string& endpoint);
  // Runs `body` on a new thread as `worker`, unless the server is stopping or already runs
  // max_connections workers; false when refused.
  bool spawn(std::shared_ptr<ServerWorker> worker, std::function<void()> body);
  void reap_finished();  // joins worker threads that ended; call with mu held
};

}  // namespace rpcfit::rpc
