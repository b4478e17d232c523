#include "drivers/agent/client_agent_session.h"

#include <algorithm>
#include <utility>

namespace rpcfit::agent {
namespace {

// What an operation returns once the link has failed: the scenario is an ERROR then (trouble()),
// so this status is never judged. RPC_S_INTERNAL_ERROR.
constexpr RpcStatus kLinkFailed = 1766;
// How long the agent gets to end its calls and answer shutdown (real time), and then to exit.
constexpr std::chrono::seconds kShutdownPatience{10};
constexpr std::chrono::milliseconds kExitGrace{2000};
// How long wire() waits for the proxy to pass on what had reached it (real time).
constexpr std::chrono::milliseconds kSettlePatience{2000};
// Server::stop's bound when the session is destroyed without shutdown() (scenario time).
constexpr Duration kDestroyBound = std::chrono::seconds(5);

}  // namespace

ClientAgentSession::ClientAgentSession(Parts parts)
    : parts_(std::move(parts)), link_(*parts_.link) {
  link_.on_event([this](const Event& event) {
    if (event.name != "async_completed") return;  // an event this rpcfit does not know: ignored
    auto key = Fields(event.fields, "event async_completed").integer("key");
    if (!key) {
      link_.fail(key.error());
      return;
    }
    std::function<void(const run::CallOutcome&)> done;
    {
      std::lock_guard lock(mu_);
      auto it = async_.find(static_cast<int>(*key));
      if (it == async_.end()) {
        link_.fail("event async_completed: key " + std::to_string(*key) +
                   " names no asynchronous call in progress");
        return;
      }
      done = std::move(it->second);
      async_.erase(it);
    }
    done(outcome_of(event.fields, "event async_completed"));
  });
}

ClientAgentSession::~ClientAgentSession() {
  shutdown(kDestroyBound);
}

std::string ClientAgentSession::my_thread() const {
  std::lock_guard lock(mu_);
  auto it = threads_.find(std::this_thread::get_id());
  return it == threads_.end() ? std::string() : it->second;
}

std::optional<std::string> ClientAgentSession::handle_name(std::uint64_t handle) const {
  std::lock_guard lock(mu_);
  auto it = handles_.find(handle);
  if (it == handles_.end()) return std::nullopt;
  return it->second;
}

Duration ClientAgentSession::scenario_time(std::int64_t agent_us) const {
  return Duration(agent_us * 1000 - parts_.alignment.offset_ns);
}

RpcStatus ClientAgentSession::status_of(const Result<Answer, std::string>& answer,
                                        const char* what) {
  if (!answer) return kLinkFailed;
  auto s = Fields(answer->fields, what).status("status");
  if (!s) {
    link_.fail(s.error());
    return kLinkFailed;
  }
  return static_cast<RpcStatus>(*s);
}

run::CallOutcome ClientAgentSession::outcome_of(const Json& fields, const char* what) {
  const Fields f(fields, what);
  auto returned = f.boolean("returned");
  auto s = f.status("status");
  auto output = f.bytes("output");
  auto detail = f.text("detail");
  for (const std::string* e :
       {returned ? nullptr : &returned.error(), s ? nullptr : &s.error(),
        output ? nullptr : &output.error(), detail ? nullptr : &detail.error()}) {
    if (e) {
      link_.fail(*e);
      return run::CallOutcome{
          false, kLinkFailed, {}, "the agent's answer was not understood", std::nullopt};
    }
  }
  run::CallOutcome outcome{*returned, static_cast<RpcStatus>(*s), *output, *detail, std::nullopt};
  const char* at = f.has("ended_us") ? "ended_us" : "at_us";
  if (auto ended = f.integer(at)) outcome.ended_at = scenario_time(*ended);
  return outcome;
}

std::uint32_t ClientAgentSession::register_thread() {
  std::string name;
  {
    std::lock_guard lock(mu_);
    name = "t" + std::to_string(threads_.size() + 1);
    threads_[std::this_thread::get_id()] = name;
  }
  Json fields = Json::object();
  fields["thread"] = name;
  auto answer = link_.request("start_thread", fields);
  if (!answer) return 0;
  auto id = Fields(answer->fields, "start_thread").integer("thread_id");
  if (!id || *id < 0 || *id > 0xFFFFFFFFll) {
    link_.fail(id ? "start_thread: thread_id " + std::to_string(*id) + " is not a thread id"
                  : id.error());
    return 0;
  }
  std::lock_guard lock(mu_);
  thread_names_[static_cast<std::uint32_t>(*id)] = name;
  return static_cast<std::uint32_t>(*id);
}

run::CallOutcome ClientAgentSession::call(std::uint16_t opnum, ByteView input) {
  Json fields = Json::object();
  fields["thread"] = my_thread();
  fields["opnum"] = opnum;
  fields["input"] = hex_of(input);
  auto answer = link_.request("call", fields);
  if (!answer) return run::CallOutcome{false, kLinkFailed, {}, answer.error(), std::nullopt};
  return outcome_of(answer->fields, "call");
}

RpcStatus ClientAgentSession::set_cancel_timeout(long timeout) {
  Json fields = Json::object();
  fields["thread"] = my_thread();
  fields["timeout"] = timeout;
  return status_of(link_.request("set_cancel_timeout", fields), "set_cancel_timeout");
}

std::uint64_t ClientAgentSession::open_thread(std::uint32_t access, std::uint32_t thread_id) {
  std::string target;
  {
    std::lock_guard lock(mu_);
    auto it = thread_names_.find(thread_id);
    if (it == thread_names_.end()) return 0;  // no thread of the agent's: OpenThread fails
    target = it->second;
  }
  Json fields = Json::object();
  fields["target"] = target;
  fields["access"] = access;
  auto answer = link_.request("open_thread", fields);
  if (!answer) return 0;
  auto name = Fields(answer->fields, "open_thread").name_or_null("handle");
  if (!name) {
    link_.fail(name.error());
    return 0;
  }
  if (!*name) return 0;
  std::lock_guard lock(mu_);
  const std::uint64_t handle = next_handle_++;
  handles_[handle] = **name;
  return handle;
}

bool ClientAgentSession::close_handle(std::uint64_t handle) {
  Json fields = Json::object();
  const auto name = handle_name(handle);
  fields["handle"] = name ? Json(*name) : Json(nullptr);
  auto answer = link_.request("close_handle", fields);
  if (!answer) return false;
  auto closed = Fields(answer->fields, "close_handle").boolean("closed");
  if (!closed) {
    link_.fail(closed.error());
    return false;
  }
  return *closed;
}

RpcStatus ClientAgentSession::cancel_thread_ex(std::uint64_t handle, long timeout) {
  Json fields = Json::object();
  const auto name = handle_name(handle);
  fields["handle"] = name ? Json(*name) : Json(nullptr);
  fields["timeout"] = timeout;
  return status_of(link_.request("cancel_thread_ex", fields), "cancel_thread_ex");
}

RpcStatus ClientAgentSession::cancel_thread(std::uint64_t handle) {
  Json fields = Json::object();
  const auto name = handle_name(handle);
  fields["handle"] = name ? Json(*name) : Json(nullptr);
  return status_of(link_.request("cancel_thread", fields), "cancel_thread");
}

RpcStatus ClientAgentSession::begin_async(int key, std::uint16_t opnum, ByteView input,
                                          std::function<void(const run::CallOutcome&)> done) {
  {
    std::lock_guard lock(mu_);
    async_[key] = std::move(done);
  }
  Json fields = Json::object();
  fields["thread"] = my_thread();
  fields["key"] = key;
  fields["opnum"] = opnum;
  fields["input"] = hex_of(input);
  const RpcStatus begun = status_of(link_.request("begin_async", fields), "begin_async");
  if (begun != status::kOk) {
    std::lock_guard lock(mu_);
    async_.erase(key);  // it did not begin: no completion comes
  }
  return begun;
}

RpcStatus ClientAgentSession::cancel_async(int key, bool abortive) {
  Json fields = Json::object();
  fields["key"] = key;
  fields["abortive"] = abortive;
  return status_of(link_.request("cancel_async", fields), "cancel_async");
}

std::vector<run::WirePdu> ClientAgentSession::wire() const {
  if (!parts_.proxy_wire) return parts_.server->wire();
  // What the agent sent before it answered is on the proxy's sockets by now: let it through.
  parts_.proxy->settle(kSettlePatience);
  return parts_.proxy_wire->pdus();
}

std::string ClientAgentSession::faults_injected() const {
  if (!parts_.plan) return "";
  auto counters = parts_.plan->describe_counters();
  return counters == "none" ? "" : counters;
}

std::optional<run::SessionError> ClientAgentSession::trouble() const {
  {
    std::lock_guard lock(mu_);
    if (shut_down_) return trouble_;
  }
  auto failure = link_.failure();
  if (!failure) return std::nullopt;
  return run::SessionError{false, failure->reason, failure->log};
}

std::string ClientAgentSession::shutdown(Duration bound) {
  std::lock_guard once(shutdown_mu_);
  {
    std::lock_guard lock(mu_);
    if (shut_down_) return shutdown_report_;
  }
  std::optional<run::SessionError> before = trouble();
  std::string report;
  if (!before) {
    // As the in-process client does: the agent ends the calls it can (end_calls: orphaned by a
    // cancel with timeout 0, async calls cancelled abortively) while the server still answers,
    // so that a hung routine's reply cannot race the orphans; then the server stops, ending the
    // rest; then the agent waits for those and exits (shutdown).
    const auto deadline = [] { return AgentLink::Steady::now() + kShutdownPatience; };
    auto ended = link_.request("end_calls", nullptr, deadline());
    // What the server sends while it stops reaches no call of the client's (in the in-process
    // driver the client has closed its side and reads no more): not the run's capture. What the
    // client still sends (a datagram activity's owed ack) is.
    if (parts_.proxy_wire) parts_.proxy_wire->forward_client_only();
    parts_.server->stop(bound);
    auto answer = ended ? link_.request("shutdown", nullptr, deadline()) : ended;
    if (!answer) {
      const auto failure = link_.failure();
      report = failure ? failure->reason : link_.name() + ": " + answer.error();
    } else if (auto left = Fields(answer->fields, "shutdown").text("left"); !left) {
      report = left.error();
    } else if (!left->empty()) {
      report = "the client agent could not end: " + *left;
    }
  }
  parts_.server->stop(bound);
  link_.stop(kExitGrace);
  if (parts_.proxy) parts_.proxy->stop();
  if (parts_.proxy_wire) parts_.proxy_wire->detach_forward();
  // Calls whose answers never came: their threads are released by the link's end (their
  // outcome is not observed any more); async calls still outstanding get no completion.
  std::lock_guard lock(mu_);
  async_.clear();
  trouble_ = before;
  shut_down_ = true;
  shutdown_report_ = report;
  return report;
}

}  // namespace rpcfit::agent
