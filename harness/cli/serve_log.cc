#include "harness/cli/serve_log.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "drivers/server/serve_interface.h"

namespace rpcfit::cli {
namespace {

double seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string at_text(Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "+%.3fs", seconds(d));
  return buf;
}

std::string status_name(RpcStatus status) {
  auto name = rpc_status_name(status);
  return name ? std::string(*name) : std::to_string(status);
}

std::string behaviour_of(std::uint16_t opnum) {
  auto spec = server::serve_behaviour(opnum, {});
  if (!spec) return "no behaviour";
  std::string name(server::behaviour_name(spec->kind));
  if (opnum == server::serve_op::kCancelRaise) name += " (raises the cancel)";
  if (opnum == server::serve_op::kCancelReturn) name += " (returns normally)";
  return name;
}

// Consecutive polls with the same result, as one entry.
struct Entry {
  server::BehaviourEvent first;
  Duration last{};
  int count = 1;
};

std::vector<Entry> grouped(const std::vector<server::BehaviourEvent>& events) {
  std::vector<Entry> out;
  for (const auto& e : events) {
    if (!out.empty() && e.kind == server::EventKind::polled &&
        out.back().first.kind == server::EventKind::polled && out.back().first.status == e.status) {
      out.back().last = e.at;
      ++out.back().count;
      continue;
    }
    out.push_back({e, e.at, 1});
  }
  return out;
}

bool shows_status(const server::BehaviourEvent& e) {
  return e.kind == server::EventKind::polled ||
         (e.kind == server::EventKind::finished && e.status != status::kOk);
}

// What became of a call's result: "response", "fault" or "discarded". ServeLog prints a call
// only at one of those three events.
std::string_view result_name(rpc::ServerEventKind kind) {
  switch (kind) {
    case rpc::ServerEventKind::response_sent:
      return "response";
    case rpc::ServerEventKind::fault_sent:
      return "fault";
    case rpc::ServerEventKind::result_discarded:
    case rpc::ServerEventKind::call_started:
    case rpc::ServerEventKind::cancel_arrived:
    case rpc::ServerEventKind::orphaned_arrived:
    case rpc::ServerEventKind::call_finished:
      break;
  }
  return "discarded";
}

std::string result_text(const rpc::ServerEvent& last) {
  if (last.kind == rpc::ServerEventKind::fault_sent) {
    return "fault " + describe_nca_status(last.fault_status);
  }
  const std::string_view name = result_name(last.kind);
  return name == "discarded" ? "result discarded" : std::string(name);
}

}  // namespace

void ServeLog::listening(const std::string& binding) {
  std::lock_guard lock(mu_);
  if (json_) {
    out_ << nlohmann::json{{"listening", binding}}.dump() << '\n';
  } else {
    out_ << "listening " << binding << '\n';
  }
  out_.flush();
}

void ServeLog::on_behaviour(const server::BehaviourEvent& event) {
  std::lock_guard lock(mu_);
  calls_[std::this_thread::get_id()].events.push_back(event);
}

void ServeLog::on_server(const rpc::ServerEvent& event) {
  std::lock_guard lock(mu_);
  switch (event.kind) {
    case rpc::ServerEventKind::cancel_arrived:
    case rpc::ServerEventKind::orphaned_arrived:
      if (auto it = calls_.find(std::this_thread::get_id()); it != calls_.end()) {
        it->second.cancels.push_back(event.at);
      }
      return;
    case rpc::ServerEventKind::call_started:
    case rpc::ServerEventKind::call_finished:
      return;
    case rpc::ServerEventKind::response_sent:
    case rpc::ServerEventKind::fault_sent:
    case rpc::ServerEventKind::result_discarded:
      break;
  }
  Call call;
  if (auto it = calls_.find(std::this_thread::get_id()); it != calls_.end()) {
    call = std::move(it->second);
    calls_.erase(it);
  }
  print(event, call);
}

void ServeLog::print(const rpc::ServerEvent& last, const Call& call) {
  const auto entries = grouped(call.events);
  if (json_) {
    nlohmann::json j{{"at", seconds(last.at)},
                     {"call_id", last.call_id},
                     {"opnum", last.opnum},
                     {"behaviour", behaviour_of(last.opnum)}};
    auto events = nlohmann::json::array();
    for (const auto& entry : entries) {
      nlohmann::json e{{"event", server::event_name(entry.first.kind)},
                       {"at", seconds(entry.first.at)}};
      if (shows_status(entry.first)) e["status"] = status_name(entry.first.status);
      if (entry.count > 1) {
        e["count"] = entry.count;
        e["last_at"] = seconds(entry.last);
      }
      events.push_back(std::move(e));
    }
    for (auto at : call.cancels)
      events.push_back({{"event", "cancel_arrived"}, {"at", seconds(at)}});
    j["events"] = std::move(events);
    j["result"] = result_name(last.kind);
    if (last.kind == rpc::ServerEventKind::fault_sent) {
      j["fault_status"] = describe_nca_status(last.fault_status);
    }
    out_ << j.dump() << '\n';
  } else {
    out_ << at_text(last.at) << " call " << last.call_id << " opnum " << last.opnum << " "
         << behaviour_of(last.opnum) << ":";
    const char* sep = " ";
    for (const auto& entry : entries) {
      out_ << sep << server::event_name(entry.first.kind);
      if (entry.count > 1) out_ << " " << entry.count << "x";
      if (shows_status(entry.first)) out_ << " " << status_name(entry.first.status);
      out_ << " " << at_text(entry.first.at);
      if (entry.count > 1) out_ << ".." << at_text(entry.last);
      sep = ", ";
    }
    for (auto at : call.cancels) {
      out_ << sep << "cancel_arrived " << at_text(at);
      sep = ", ";
    }
    out_ << "; " << result_text(last) << '\n';
  }
  out_.flush();
}

}  // namespace rpcfit::cli
