#include "reports/from_run.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "harness/core/status.h"
#include "harness/model/rules.h"
#include "harness/wire/codec.h"
#include "harness/wire/text.h"

namespace rpcfit::reports {
namespace {

double ms(Duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// The spec area of the scenario's first rule that has one.
std::string area_of(const run::Scenario& s) {
  for (const auto& id : s.spec) {
    if (const run::Rule* rule = run::find_rule(id)) return std::string(rule->area);
  }
  return "unclassified";
}

WireLine wire_line(const run::WirePdu& pdu) {
  WireLine line;
  line.at_ms = ms(pdu.at);
  line.out = pdu.out;
  if (auto decoded = wire::decode(pdu.bytes)) {
    line.text = wire::to_text(*decoded);
    const auto* co = std::get_if<wire::CoPdu>(&*decoded);
    line.type = wire::ptype_name(
        static_cast<std::uint8_t>(co ? co->type : std::get<wire::ClPdu>(*decoded).type));
  } else {
    line.type = "malformed";
    line.text = "malformed: " + decoded.error().to_string();
  }
  return line;
}

std::string event_detail(const server::BehaviourEvent& e) {
  switch (e.kind) {
    case server::EventKind::polled:
      return "RpcTestCancel: " + status_text(e.status);
    case server::EventKind::finished:
      return e.status == status::kOk ? "returned" : "raised " + status_text(e.status);
    case server::EventKind::started:
    case server::EventKind::saw_cancel:
    case server::EventKind::result_discarded:
      return "";
  }
  return "";
}

}  // namespace

std::string status_text(RpcStatus status) {
  if (auto name = rpc_status_name(status)) return std::string(*name);
  return std::to_string(status);
}

std::string nca_status_text(std::uint32_t status) {
  if (auto name = nca_status_name(status)) return std::string(*name);
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", status);
  return buf;
}

Retry retry_of(const run::ScenarioRun::Attempt& a) {
  return {std::string(run::verdict_name(a.verdict)), a.reason, ms(a.stall)};
}

ScenarioResult scenario_result(const run::ScenarioRun& r) {
  const run::Scenario& s = *r.scenario;
  ScenarioResult out;
  out.id = s.id;
  out.title = s.title;
  out.file = s.loc.file;
  out.area = area_of(s);
  out.level = std::string(run::level_name(s.level));
  out.protseq = s.protseq;
  out.tags = s.tags;
  out.rules = s.spec;
  out.repetition = r.repetition;
  out.seed = r.seed;
  out.verdict = std::string(run::verdict_name(r.verdict));
  out.reason = r.reason;
  out.wall_ms = ms(r.wall);
  out.stall_ms = ms(r.stall);
  out.log = r.log;
  if (r.alignment_error) out.alignment_ms = ms(*r.alignment_error);
  for (const run::ScenarioRun::Attempt& a : r.retried)
    out.retried.push_back(retry_of(a));
  const run::Observation& o = r.observed;
  out.ended_ms = ms(o.ended_at);
  for (const run::Mismatch& m : r.mismatches)
    out.mismatches.push_back(
        {run::to_string(m.loc), m.field, m.expected, m.actual, m.detail, m.rules});
  for (const run::CallRecord& c : o.calls) {
    out.calls.push_back({c.id, c.async, c.started, c.ended, ms(c.started_at), ms(c.ended_at),
                         c.returned, status_text(c.status), static_cast<std::uint32_t>(c.status),
                         c.output.size(), c.detail});
  }
  for (const run::StepRecord& st : o.steps) {
    if (st.step >= s.steps.size()) continue;
    const run::Step& step = s.steps[st.step];
    StepResult res;
    res.index = st.step;
    res.kind = std::string(run::step_name(step.kind));
    res.location = run::to_string(step.loc);
    res.ran = st.ran;
    res.at_ms = ms(st.began);
    res.ended_ms = ms(st.ended);
    if (st.returned) res.returned = status_text(*st.returned);
    res.handle_ok = st.handle_ok;
    out.steps.push_back(std::move(res));
  }
  for (const run::ServerCallRecord& c : o.server_calls) {
    ServerCall call;
    call.call_id = c.call_id;
    call.opnum = c.opnum;
    for (const server::BehaviourEvent& e : c.events)
      call.events.push_back({std::string(server::event_name(e.kind)), ms(e.at), event_detail(e)});
    if (c.result) call.result = std::string(run::server_result_name(*c.result));
    if (c.result == run::ServerResult::fault) call.fault_status = nca_status_text(c.fault_status);
    out.server_calls.push_back(std::move(call));
  }
  for (const run::WirePdu& pdu : o.wire)
    out.wire.push_back(wire_line(pdu));
  out.fault_seed = o.fault_seed;
  for (const run::FaultEntry& f : s.faults)
    out.faults.push_back(f.text);
  // "drop=1 latency=4"
  std::size_t at = 0;
  const std::string& injected = o.faults_injected;
  while (at < injected.size()) {
    const std::size_t end = std::min(injected.find(' ', at), injected.size());
    const std::string item = injected.substr(at, end - at);
    const std::size_t eq = item.find('=');
    if (eq != std::string::npos) {
      out.injected[item.substr(0, eq)] = std::strtoull(item.c_str() + eq + 1, nullptr, 10);
    }
    at = end + 1;
  }
  out.capture = r.capture;
  out.live_capture = r.live;
  return out;
}

}  // namespace rpcfit::reports
