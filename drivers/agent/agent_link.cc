#include "drivers/agent/agent_link.h"

#include <algorithm>
#include <limits>
#include <variant>

#include "harness/core/shell_word.h"

namespace rpcfit::agent {
namespace {

// How much of a line an error message quotes.
constexpr std::size_t kQuote = 300;
// How often the reader looks up from a silent agent to see whether the link is stopping.
constexpr std::chrono::milliseconds kReaderTick{200};
// How long an agent whose output ended gets to exit, so that its status is in the reason.
constexpr std::chrono::milliseconds kExitPatience{1000};

std::string quote(std::string_view line) {
  if (line.size() <= kQuote) return std::string(line);
  return std::string(line.substr(0, kQuote)) + "... (" + std::to_string(line.size()) + " bytes)";
}

}  // namespace

Result<std::unique_ptr<AgentLink>, LinkFailure> AgentLink::start(const LinkOptions& options) {
  std::unique_ptr<AgentLink> link(new AgentLink(options));
  std::vector<std::string> env;
  if (!options.private_dir.empty())
    env.push_back("RPCFIT_AGENT_DIR=" + options.private_dir.string());
  auto process = AgentProcess::start(options.argv, options.cwd, env);
  if (!process) {
    return unexpected(LinkFailure{link->name() + ": " + process.error(), {}});
  }
  link->process_ = std::move(*process);
  link->reader_ = std::thread([raw = link.get()] { raw->read_loop(); });

  Json fields = Json::object();
  fields["versions"] = Json::array({kProtocolVersion});
  fields["role"] = options.role;
  auto answer = link->request("hello", fields, Steady::now() + options.hello_patience);
  // A failure the link already has stays the one reported (fail() keeps the first).
  std::optional<std::string> trouble;
  if (!answer) {
    trouble = answer.error();
  } else if (auto hello = hello_of(*answer, {kProtocolVersion}); !hello) {
    trouble = hello.error();
  } else if (std::find(hello->capabilities.roles.begin(), hello->capabilities.roles.end(),
                       options.role) == hello->capabilities.roles.end()) {
    trouble = "hello: the agent does not play the " + options.role + " role";
  } else {
    std::lock_guard lock(link->mu_);
    link->hello_ = *hello;
  }
  if (trouble) {
    link->fail(*trouble);
    LinkFailure failure = *link->failure();
    link->stop(std::chrono::milliseconds(0));
    failure.log = link->process_->stderr_tail();
    return unexpected(std::move(failure));
  }
  return link;
}

// The command as a shell would read it back: "/bin/sh -c 'python3 agent.py'".
std::string AgentLink::command_text() const {
  std::string text;
  for (const auto& a : options_.argv)
    text += (text.empty() ? "" : " ") + shell_word(a);
  return text;
}

AgentLink::~AgentLink() {
  stop(std::chrono::milliseconds(0));
}

std::string AgentLink::name() const {
  std::string text = options_.role + " agent `" + command_text() + "`";
  if (!hello_.implementation.empty()) {
    text += " (" + hello_.implementation + " " + hello_.version + ")";
  }
  return text;
}

void AgentLink::on_event(std::function<void(const Event&)> handler) {
  std::lock_guard lock(event_mu_);
  handler_ = std::move(handler);
}

Result<Answer, std::string> AgentLink::request(std::string_view op, Json fields,
                                               std::optional<Steady::time_point> deadline) {
  auto answer = exchange(op, std::move(fields), deadline);
  if (!answer || answer->ok) return answer;
  std::lock_guard lock(mu_);
  fail_locked("could not carry out " + std::string(op) + ": " + answer->error);
  return unexpected(failure_->reason);
}

std::optional<std::string> AgentLink::wait_exit(std::chrono::milliseconds patience) {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  if (reader_.joinable()) reader_.join();
  return process_ ? process_->wait_exit(patience) : std::nullopt;
}

Result<Answer, std::string> AgentLink::exchange(std::string_view op, Json fields,
                                                std::optional<Steady::time_point> deadline) {
  std::uint64_t id = 0;
  std::string line;
  {
    std::lock_guard lock(mu_);
    if (failure_) return unexpected(failure_->reason);
    id = next_id_++;
    pending_[id].op = std::string(op);
    line = request_line(id, op, std::move(fields));
    last_sent_ = line.substr(0, line.size() - 1);
  }
  std::optional<std::string> unwritten;
  {
    std::lock_guard lock(write_mu_);
    unwritten = process_->write(line);
  }
  std::unique_lock lock(mu_);
  if (unwritten) fail_locked(*unwritten);
  auto done = [&] { return failure_ || pending_[id].answer.has_value(); };
  if (deadline) {
    if (!cv_.wait_until(lock, *deadline, done)) {
      pending_.erase(id);
      return unexpected("no answer to " + std::string(op) + " (request " + std::to_string(id) +
                        ") in time");
    }
  } else {
    cv_.wait(lock, done);
  }
  auto it = pending_.find(id);
  std::optional<Answer> answer = std::move(it->second.answer);
  pending_.erase(it);
  if (!answer) return unexpected(failure_->reason);
  return std::move(*answer);
}

Result<Alignment, std::string> AgentLink::align(const Clock& clock, int rounds) {
  std::optional<Alignment> best;
  for (int i = 0; i < std::max(1, rounds); ++i) {
    const Duration before = clock.now();
    auto answer = request("clock", nullptr, Steady::now() + options_.hello_patience);
    const Duration after = clock.now();
    if (!answer) return unexpected(answer.error());
    auto now_us = Fields(answer->fields, "clock").integer("now_us");
    if (!now_us) {
      fail(now_us.error());
      return unexpected(failure()->reason);
    }
    const Duration half = (after - before) / 2;
    const std::int64_t mid = (before + half).count();
    Alignment a{*now_us * 1000 - mid, half};
    if (!best || a.error < best->error) best = a;
  }
  return *best;
}

std::optional<LinkFailure> AgentLink::failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

void AgentLink::fail(const std::string& reason) {
  std::lock_guard lock(mu_);
  fail_locked(reason);
}

void AgentLink::fail_locked(const std::string& what) {
  if (failure_) return;
  failure_ = LinkFailure{describe(what), process_ ? process_->stderr_tail() : std::string()};
  cv_.notify_all();
}

std::string AgentLink::describe(const std::string& what) const {
  return name() + ": " + what + exchange_locked();
}

std::string AgentLink::exchange_locked() const {
  std::string text;
  if (!last_sent_.empty()) text += "; last sent: " + quote(last_sent_);
  if (!last_received_.empty()) text += "; last received: " + quote(last_received_);
  return text;
}

void AgentLink::read_loop() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    AgentProcess::Read read = process_->read_line(Steady::now() + kReaderTick, kMaxLine);
    if (read.end == AgentProcess::End::timeout) continue;
    if (read.end != AgentProcess::End::line) {
      std::string what = read.reason;
      if (read.end == AgentProcess::End::closed) {
        {
          std::lock_guard lock(mu_);
          if (stopping_) return;
        }
        // Ended: how, if it says so soon.
        if (auto ended = process_->wait_exit(kExitPatience)) what = "the agent " + *ended;
      }
      std::lock_guard lock(mu_);
      if (!stopping_) fail_locked(what);
      return;
    }
    auto incoming = parse_line(read.line);
    std::unique_lock lock(mu_);
    last_received_ = read.line;
    if (!incoming) {
      fail_locked("wrote a line that is not a protocol message (" + incoming.error() +
                  "): " + quote(read.line));
      return;
    }
    if (auto* answer = std::get_if<Answer>(&*incoming)) {
      auto it = pending_.find(answer->id);
      if (it == pending_.end() || it->second.answer) {
        // An id never sent, answered twice, or one whose waiter gave up: the first two are
        // the agent's trouble; the last is an answer too late to matter.
        if (answer->id >= next_id_ || (it != pending_.end() && it->second.answer)) {
          fail_locked("answered request " + std::to_string(answer->id) +
                      ", which it was not asked");
          return;
        }
        continue;
      }
      it->second.answer = std::move(*answer);
      cv_.notify_all();
      continue;
    }
    lock.unlock();
    const Event& event = std::get<Event>(*incoming);
    std::lock_guard events(event_mu_);
    if (handler_) handler_(event);
  }
}

std::string AgentLink::stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  if (reader_.joinable()) reader_.join();
  if (!process_) return "not started";
  const std::string ended = process_->stop(grace);
  std::lock_guard lock(mu_);
  if (!failure_) {
    failure_ =
        LinkFailure{describe("the conversation ended (" + ended + ")"), process_->stderr_tail()};
  }
  cv_.notify_all();
  return ended;
}

}  // namespace rpcfit::agent
