// AgentLink: one conversation with an agent (PROTOCOL.md): its process started and greeted
// (hello), requests from any thread each waiting for its own answer, events handed to a handler,
// and the agent's clock aligned with scenario time. A reader thread takes every line the agent
// writes; the first trouble (the agent ended, wrote a line that is not a message, answered an id
// it was not asked, refused a request) is the link's failure: every request waiting and every
// later one fails with it, and it names the agent and the last exchange.
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
#include <string_view>
#include <thread>
#include <vector>

#include "drivers/agent/agent_process.h"
#include "drivers/agent/protocol.h"
#include "harness/core/clock.h"
#include "harness/core/result.h"

namespace rpcfit::agent {

struct LinkOptions {
  std::string role;                   // client or server: the role hello asks for
  std::vector<std::string> argv;      // the agent's command
  std::filesystem::path cwd;          // its working directory; empty: rpcfit's
  std::filesystem::path private_dir;  // its own directory (0700), given as $RPCFIT_AGENT_DIR
  std::chrono::milliseconds hello_patience{10000};
};

// The agent's clock against scenario time: scenario = agent_us * 1000 ns - offset, within error.
struct Alignment {
  std::int64_t offset_ns = 0;
  Duration error{};
};

// Why the link failed: what happened, and the agent's stderr by then.
struct LinkFailure {
  std::string reason;  // "client agent `cmd` (impl 1.0): exited with status 1; last exchange: ..."
  std::string log;
};

class AgentLink {
 public:
  using Steady = std::chrono::steady_clock;

  // Starts the agent and greets it; the failure when it cannot be started or its hello is not
  // one rpcfit can work with.
  static Result<std::unique_ptr<AgentLink>, LinkFailure> start(const LinkOptions& options);
  ~AgentLink();  // stop(0)
  AgentLink(const AgentLink&) = delete;
  AgentLink& operator=(const AgentLink&) = delete;

  const Hello& hello() const { return hello_; }
  // "client agent `python3 agent.py` (example 0.1)".
  std::string name() const;

  // Events go to `handler` on the reader thread, one at a time. Set it before the requests that
  // cause them.
  void on_event(std::function<void(const Event&)> handler);

  // Sends a request and waits for its answer (ok: true) until `deadline` (none: until the agent
  // answers or fails). An answer with ok: false fails the link; a deadline that passes does not.
  Result<Answer, std::string> request(std::string_view op, Json fields = nullptr,
                                      std::optional<Steady::time_point> deadline = std::nullopt);
  // As request(), but an answer with ok: false is returned, not the link's failure: for the
  // protocol check, which asks what must be refused.
  Result<Answer, std::string> exchange(std::string_view op, Json fields = nullptr,
                                       std::optional<Steady::time_point> deadline = std::nullopt);
  // The agent's process, once the conversation has ended: whether it exited by itself within
  // `patience`, and how.
  std::optional<std::string> wait_exit(std::chrono::milliseconds patience);

  // Aligns the agent's clock with `clock` from `rounds` clock requests (the shortest round trip).
  Result<Alignment, std::string> align(const Clock& clock, int rounds);

  // The link's failure, once it has one.
  std::optional<LinkFailure> failure() const;
  // Fails the link (the driver's own judgement of an answer), unless it has failed already.
  void fail(const std::string& reason);

  // Ends the conversation: the agent may exit by itself within `grace` (after its shutdown
  // answer), then its process group is killed. Requests waiting fail. How it ended.
  std::string stop(std::chrono::milliseconds grace);

 private:
  explicit AgentLink(LinkOptions options) : options_(std::move(options)) {}
  void read_loop();
  void fail_locked(const std::string& what);            // mu_ held
  std::string describe(const std::string& what) const;  // mu_ held
  std::string exchange_locked() const;                  // mu_ held
  std::string command_text() const;

  LinkOptions options_;
  std::unique_ptr<AgentProcess> process_;
  Hello hello_;
  std::thread reader_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t next_id_ = 1;
  struct Pending {
    std::string op;
    std::optional<Answer> answer;
  };
  std::map<std::uint64_t, Pending> pending_;
  std::optional<LinkFailure> failure_;
  bool stopping_ = false;  // stop() began: the end of the agent's output is no failure
  std::string last_sent_;
  std::string last_received_;
  std::mutex write_mu_;  // one line at a time on the agent's stdin
  std::mutex event_mu_;  // guards handler_ against on_event() while an event is handled
  std::function<void(const Event&)> handler_;
};

}  // namespace rpcfit::agent
