// A session whose client under test is an agent (PROTOCOL.md, client role): each DriverSession
// client operation is one request to the agent, run on the agent's thread of the same name, and
// the reference server (inproc/reference_server.h) plays the scenario's server, recording what
// its routines saw and its own view of the wire, which is the evidence of what the client sent.
//
// Threads: the runner's client threads become the agent's named threads ("t1", "t2", ... in the
// order they register); a request waits on the runner's thread that made it, so an agent that
// never answers holds that thread only, as a runtime that never returns would. Handles are the
// agent's names, kept here under numbers (0 is the null handle).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "drivers/agent/agent_link.h"
#include "drivers/fault/fault_plan.h"
#include "drivers/fault/proxy/proxy.h"
#include "drivers/inproc/reference_server.h"
#include "drivers/inproc/wire_sink.h"
#include "harness/seams/runtime_driver.h"

namespace rpcfit::agent {

class ClientAgentSession final : public run::DriverSession {
 public:
  struct Parts {
    std::unique_ptr<AgentLink> link;  // greeted
    Alignment alignment;              // of the agent's clock with the session's
    std::unique_ptr<inproc::ReferenceServer> server;
    // With faults: the proxy between the agent and the server, applying `plan`, and its view of
    // the wire (the PDUs as each receiver got them), which is then the session's.
    std::shared_ptr<fault::FaultPlan> plan;
    std::unique_ptr<fault::Proxy> proxy;
    std::shared_ptr<inproc::WireSink> proxy_wire;
    std::uint64_t seed = 0;
  };
  explicit ClientAgentSession(Parts parts);
  ~ClientAgentSession() override;
  ClientAgentSession(const ClientAgentSession&) = delete;
  ClientAgentSession& operator=(const ClientAgentSession&) = delete;

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

  // The proxy's view, once it has passed on what had reached it; else the server's.
  std::vector<run::WirePdu> wire() const override;
  std::vector<run::ServerCallRecord> server_calls() const override {
    return parts_.server->calls();
  }
  std::uint64_t fault_seed() const override { return parts_.seed; }
  std::string faults_injected() const override;
  std::optional<run::SessionError> trouble() const override;
  run::ForeignSide foreign_side() const override { return run::ForeignSide::client; }
  std::optional<Duration> alignment_error() const override { return parts_.alignment.error; }

  // The agent ends its calls and exits (shutdown), then the server stops.
  std::string shutdown(Duration bound) override;

 private:
  // The agent's thread the calling thread registered as; empty if it did not.
  std::string my_thread() const;
  std::optional<std::string> handle_name(std::uint64_t handle) const;
  // A status from an answer (`field`), or the link's failure as RPC_S_INTERNAL_ERROR.
  RpcStatus status_of(const Result<Answer, std::string>& answer, const char* what);
  // An agent timestamp in scenario time.
  Duration scenario_time(std::int64_t agent_us) const;
  run::CallOutcome outcome_of(const Json& fields, const char* what);

  Parts parts_;
  AgentLink& link_;

  mutable std::mutex mu_;
  std::map<std::thread::id, std::string> threads_;     // runner thread -> agent thread
  std::map<std::uint32_t, std::string> thread_names_;  // thread id -> agent thread
  std::map<std::uint64_t, std::string> handles_;       // our number -> the agent's name
  std::uint64_t next_handle_ = 1;
  std::map<int, std::function<void(const run::CallOutcome&)>> async_;  // key -> done
  std::optional<run::SessionError> trouble_;  // as it was when shutdown began
  bool shut_down_ = false;
  std::string shutdown_report_;
  std::mutex shutdown_mu_;
};

}  // namespace rpcfit::agent
