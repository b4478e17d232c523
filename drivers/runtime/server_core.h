// Internals shared by the server's listener threads, connection threads and ServerCalls. Held by
// shared_ptr so routines abandoned at stop() can run on safely.
#pragma once

#include <atomic>
#include <condition_variable>
#include <list>
#include <thread>
#include <vector>

#include "drivers/runtime/server.h"
#include "harness/seams/transport.h"

namespace rpcfit::rpc {

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
  std::condition_variable cv;
  std::vector<std::shared_ptr<const InterfaceRegistration>> interfaces;
  struct Listening {
    std::unique_ptr<StreamListener> listener;
    transport::Protseq protseq{};
    std::thread thread;
  };
  std::vector<std::unique_ptr<Listening>> listeners;
  struct Running {
    std::shared_ptr<ServerConnection> connection;
    std::thread thread;
    std::shared_ptr<bool> done = std::make_shared<bool>(false);  // guarded by mu
  };
  bool abandoned = false;  // stop() gave up on routines: no more events; guarded by mu
  std::list<Running> connections;
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
  void reap_finished();  // joins connection threads that ended; call with mu held
};

}  // namespace rpcfit::rpc
