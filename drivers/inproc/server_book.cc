#include "drivers/inproc/server_book.h"

#include <optional>

namespace rpcfit::inproc {
namespace {

// The invocation the calling server thread is running. A thread runs one routine at a time, but
// sessions share the process (runs with several jobs), so the book is kept with the index.
struct Current {
  const ServerBook* book = nullptr;
  std::size_t index = 0;
};
thread_local Current t_current;

// Sets t_current for the routine's duration and restores the previous value however it ends.
class CurrentScope {
 public:
  CurrentScope(const ServerBook* book, std::size_t index) : saved_(t_current) {
    t_current = Current{book, index};
  }
  ~CurrentScope() { t_current = saved_; }
  CurrentScope(const CurrentScope&) = delete;
  CurrentScope& operator=(const CurrentScope&) = delete;

 private:
  Current saved_;
};

std::optional<run::ServerResult> result_of(rpc::ServerEventKind kind) {
  switch (kind) {
    case rpc::ServerEventKind::response_sent:
      return run::ServerResult::response;
    case rpc::ServerEventKind::fault_sent:
      return run::ServerResult::fault;
    case rpc::ServerEventKind::result_discarded:
      return run::ServerResult::discarded;
    case rpc::ServerEventKind::call_started:
    case rpc::ServerEventKind::cancel_arrived:
    case rpc::ServerEventKind::orphaned_arrived:
    case rpc::ServerEventKind::call_finished:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

rpc::ManagerRoutine ServerBook::wrap(std::shared_ptr<ServerBook> book, rpc::ManagerRoutine inner) {
  return [book = std::move(book), inner = std::move(inner)](rpc::ServerCall& call,
                                                            ByteView input) -> Bytes {
    const std::size_t index = book->begin(call.call_id(), call.opnum());
    // Marks the routine returned however it ends (it may raise RpcException or ServerCrash),
    // before the runtime reports the result, which is what attributes results correctly.
    struct Returned {
      ServerBook& book;
      std::size_t index;
      ~Returned() { book.returned(index); }
    } returned{*book, index};
    CurrentScope scope(book.get(), index);
    return inner(call, input);
  };
}

std::size_t ServerBook::begin(std::uint32_t call_id, std::uint16_t opnum) {
  std::lock_guard lock(mu_);
  Invocation invocation;
  invocation.record.call_id = call_id;
  invocation.record.opnum = opnum;
  calls_.push_back(std::move(invocation));
  cv_.notify_all();
  return calls_.size() - 1;
}

void ServerBook::returned(std::size_t index) {
  std::lock_guard lock(mu_);
  calls_[index].returned = true;
  cv_.notify_all();
}

void ServerBook::on_behaviour_event(const server::BehaviourEvent& event) {
  // The runtime's result_discarded also passes through the EventRecorder, off the routine's
  // thread; on_server_event() records it with the rest of the result.
  if (event.kind == server::EventKind::result_discarded) return;
  // Behaviours record only from inside their routine, where wrap() set t_current.
  if (t_current.book != this) return;
  std::lock_guard lock(mu_);
  calls_[t_current.index].record.events.push_back(event);
  cv_.notify_all();
}

void ServerBook::on_server_event(const rpc::ServerEvent& event) {
  const auto result = result_of(event.kind);
  if (!result) return;
  std::lock_guard lock(mu_);
  for (auto& call : calls_) {
    auto& record = call.record;
    if (!call.returned || record.result || record.call_id != event.call_id ||
        record.opnum != event.opnum) {
      continue;
    }
    record.result = *result;
    if (*result == run::ServerResult::fault) record.fault_status = event.fault_status;
    if (*result == run::ServerResult::discarded) {
      record.events.push_back(server::BehaviourEvent{server::EventKind::result_discarded, event.at,
                                                     event.call_id, event.opnum, status::kOk});
    }
    cv_.notify_all();
    return;
  }
}

std::vector<run::ServerCallRecord> ServerBook::records() const {
  std::lock_guard lock(mu_);
  std::vector<run::ServerCallRecord> out;
  out.reserve(calls_.size());
  for (const auto& call : calls_)
    out.push_back(call.record);
  return out;
}

bool ServerBook::wait_until(
    const std::function<bool(const std::vector<run::ServerCallRecord>&)>& done,
    std::chrono::milliseconds patience) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, patience, [&] {
    std::vector<run::ServerCallRecord> now;
    now.reserve(calls_.size());
    for (const auto& call : calls_)
      now.push_back(call.record);
    return done(now);
  });
}

}  // namespace rpcfit::inproc
