// The server part of check(): what the manager routines saw of each call, from the events the
// behaviours recorded.
#include <algorithm>

#include "harness/check/check_internal.h"
#include "harness/core/status.h"

namespace rpcfit::run::internal {
namespace {

using server::EventKind;

const server::BehaviourEvent* first_event(const ServerCallRecord& record, EventKind kind) {
  for (const auto& event : record.events) {
    if (event.kind == kind) return &event;
  }
  return nullptr;
}

std::string result_text(const std::optional<ServerResult>& result) {
  return result ? std::string(server_result_name(*result)) : "none";
}

class ServerCallCheck {
 public:
  ServerCallCheck(const ServerCallExpect& expect, const ServerCallRecord& record, std::size_t index,
                  const Scenario& scenario, const TimingSettings& settings,
                  std::vector<Mismatch>& out)
      : expect_(expect),
        record_(record),
        name_("server call " + std::to_string(index + 1)),
        scenario_(scenario),
        settings_(settings),
        out_(out) {}

  void run() {
    if (expect_.opnum) {
      compare("opnum", std::to_string(*expect_.opnum), std::to_string(record_.opnum));
    }
    const auto* saw_cancel = first_event(record_, EventKind::saw_cancel);
    if (expect_.saw_cancel) {
      compare("saw_cancel", bool_text(*expect_.saw_cancel), bool_text(saw_cancel != nullptr));
    }
    instant("saw_cancel_at", expect_.saw_cancel_at, saw_cancel, "no cancel seen");
    const auto* finished = first_event(record_, EventKind::finished);
    if (expect_.finished) {
      compare("finished", bool_text(*expect_.finished), bool_text(finished != nullptr));
    }
    if (expect_.finished_status) {
      compare("finished_status", status_text(*expect_.finished_status),
              finished ? status_text(finished->status) : "not finished");
    }
    instant("finished_at", expect_.finished_at, finished, "not finished");
    instant("started_at", expect_.started_at, first_event(record_, EventKind::started),
            "no started event");
    if (expect_.result) {
      compare("result", result_text(expect_.result), result_text(record_.result));
    }
    if (!expect_.polled.empty()) compare("polled", statuses_text(expect_.polled), polled_text());
    if (expect_.fault_status) {
      // Without a fault the record's status is only its default; naming the result says more.
      const bool faulted = record_.result == ServerResult::fault;
      compare("fault_status", describe_nca_status(*expect_.fault_status),
              faulted ? describe_nca_status(record_.fault_status)
                      : "no fault (result " + result_text(record_.result) + ")");
    }
  }

 private:
  // The key as written; `own` (an instant's location) before the per-call one when it is not.
  const SourceLoc& loc(const std::string& key, const SourceLoc* own = nullptr) const {
    const auto it = expect_.key_locs.find(key);
    if (it != expect_.key_locs.end()) return it->second;
    return own ? loc_or(*own, expect_.loc) : expect_.loc;
  }

  // The kind of claim a server key makes (witness.h).
  static ClaimKind claim_of(const std::string& key) {
    if (key == "saw_cancel" || key == "saw_cancel_at" || key == "polled") {
      return ClaimKind::server_cancel;
    }
    if (key == "result" || key == "fault_status") return ClaimKind::server_result;
    if (key == "opnum" || key == "started_at") return ClaimKind::server_start;
    return ClaimKind::server_finish;
  }

  void name(const std::string& key, std::size_t from) {
    name_rules(scenario_, {claim_of(key), {}, {}, {}}, out_, from);
  }

  void compare(const std::string& key, const std::string& expected, const std::string& actual) {
    if (expected == actual) return;
    out_.push_back({name_ + " " + key, expected, actual, loc(key), {}});
    name(key, out_.size() - 1);
  }

  void instant(const std::string& key, const std::optional<ExpectedTime>& expected,
               const server::BehaviourEvent* event, const char* missing) {
    if (!expected) return;
    const std::string field = name_ + " " + key;
    const SourceLoc& where = loc(key, &expected->loc);
    const std::size_t from = out_.size();
    if (event == nullptr) {
      out_.push_back({field, format_instant(expected->at), missing, where, {}});
    } else if (auto m = timing_mismatch(field, *expected, event->at, scenario_, settings_)) {
      m->loc = where;
      out_.push_back(*m);
    }
    name(key, from);
  }

  static std::string statuses_text(const std::vector<RpcStatus>& statuses) {
    std::string text;
    for (const RpcStatus s : statuses)
      text += (text.empty() ? "" : ", ") + status_text(s);
    return "[" + text + "]";
  }
  // What the polls returned, each status once, in the order they first came.
  std::string polled_text() const {
    std::vector<RpcStatus> seen;
    for (const auto& event : record_.events) {
      if (event.kind != EventKind::polled) continue;
      if (std::find(seen.begin(), seen.end(), event.status) == seen.end()) {
        seen.push_back(event.status);
      }
    }
    return statuses_text(seen);
  }

  const ServerCallExpect& expect_;
  const ServerCallRecord& record_;
  std::string name_;
  const Scenario& scenario_;
  const TimingSettings& settings_;
  std::vector<Mismatch>& out_;
};

}  // namespace

void check_server(const Scenario& scenario, const Observation& observed,
                  const TimingSettings& settings, std::vector<Mismatch>& out) {
  if (!scenario.expect.server) return;
  const ServerExpect& expect = *scenario.expect.server;
  const std::size_t from = out.size();
  if (expect.calls && *expect.calls != observed.server_calls.size()) {
    out.push_back({"server calls",
                   std::to_string(*expect.calls),
                   std::to_string(observed.server_calls.size()),
                   expect.loc,
                   {}});
  }
  name_rules(scenario, {ClaimKind::server_count, {}, {}, {}}, out, from);
  for (std::size_t i = 0; i < expect.per_call.size(); ++i) {
    const ServerCallExpect& call = expect.per_call[i];
    if (i >= observed.server_calls.size()) {
      out.push_back(
          {"server call " + std::to_string(i + 1), "started", "not started", call.loc, {}});
      name_rules(scenario, {ClaimKind::server_start, {}, {}, {}}, out, out.size() - 1);
      continue;
    }
    ServerCallCheck(call, observed.server_calls[i], i, scenario, settings, out).run();
  }
}

}  // namespace rpcfit::run::internal
