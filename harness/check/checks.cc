#include "harness/check/checks.h"

#include <algorithm>

#include "harness/check/check_internal.h"
#include "harness/core/digest.h"

namespace rpcfit::run {
namespace internal {
namespace {

const StepRecord* record_of(const Observation& observed, std::size_t step) {
  // A step that ran has one record that says so; a record with ran=false only says it was due.
  for (const StepRecord& record : observed.steps) {
    if (record.step == step && record.ran) return &record;
  }
  return nullptr;
}

bool reports_handle(StepKind kind) {
  return traits(kind).result == StepResult::handle;
}

// close_handle (and open_thread) succeed or not; `expect` says which with RPC_S_OK or another
// status, so both sides are written as success or failure.
std::string handle_text(bool ok) {
  return ok ? "success" : "failure";
}

void check_step(const Step& step, std::size_t index, const StepRecord* record,
                std::vector<Mismatch>& out) {
  const std::string field =
      "step " + std::to_string(index + 1) + " (" + std::string(step_name(step.kind)) + ") returned";
  const SourceLoc& loc = loc_or(step.expect_loc, step.loc);
  const bool handle = reports_handle(step.kind);
  const std::string expected =
      handle ? handle_text(*step.expect == status::kOk) : status_text(*step.expect);
  if (record == nullptr) {
    out.push_back({field, expected, "did not run", loc, {}});
    return;
  }
  if (record->pending) return;  // check_steps names it for CS-RET-1
  std::string actual;
  if (handle) {
    actual = record->handle_ok ? handle_text(*record->handle_ok) : "nothing recorded";
  } else {
    actual = record->returned ? status_text(*record->returned) : "nothing recorded";
  }
  if (actual != expected) out.push_back({field, expected, actual, loc, {}});
}

// CS-RET-1: the API returned within the bound, or within the real-time floor every timing check
// allows (timing.h), times the tolerance scale.
void check_return_time(const Step& step, std::size_t index, const StepRecord* record,
                       const TimingSettings& settings, std::vector<Mismatch>& out) {
  const std::string field =
      "step " + std::to_string(index + 1) + " (" + std::string(step_name(step.kind)) + ") took";
  const SourceLoc& loc = loc_or(step.returns_within_loc, step.loc);
  const std::string expected = "at most " + format_instant(*step.returns_within);
  if (record == nullptr) {
    out.push_back({field, expected, "did not run", loc, {}});
    return;
  }
  if (record->pending) return;  // check_steps names it for CS-RET-1
  const Duration took = record->ended - record->began;
  const Tolerance bound{*step.returns_within, 0, {}};
  const Duration allowed = tolerance_for(bound, Duration{}, settings);
  if (took > allowed) {
    out.push_back(
        {field, expected, format_instant(took), loc, "allowed " + format_instant(allowed)});
  }
}

const CallRecord* call_record(const Observation& observed, const std::string& id) {
  for (const CallRecord& record : observed.calls) {
    if (record.id == id) return &record;
  }
  return nullptr;
}

std::string call_status_text(const CallRecord& record) {
  return status_text(record.returned ? status::kOk : record.status);
}

// "64 bytes 00 01 02 ... (fnv1a64:...)": enough to see what differs, and the digest to state.
std::string bytes_text(ByteView bytes) {
  std::string text = std::to_string(bytes.size()) + (bytes.size() == 1 ? " byte" : " bytes");
  if (!bytes.empty()) text += " " + to_hex(bytes, 16);
  return text + " (" + digest_text(bytes) + ")";
}

const Step* call_step(const Scenario& scenario, const std::string& id) {
  for (const Step& step : scenario.steps) {
    if (step.kind == StepKind::call && step.call == id) return &step;
  }
  return nullptr;
}

// The output of a call that returned: as its expectation states it (output_hex, output_digest),
// else the test interface's answer to its input (CS-RES-2: a call ends with its results).
void check_output(const CallExpect* expect, const CallRecord& record, const Scenario& scenario,
                  std::vector<Mismatch>& out) {
  if (!record.ended || !record.returned) return;
  const Step* step = call_step(scenario, record.id);
  const std::string field = "call " + record.id + " output";
  const SourceLoc& loc = expect
                             ? loc_or(expect->output_loc, loc_or(expect->status_loc, expect->loc))
                             : (step ? step->loc : scenario.loc);
  if (expect && expect->output_digest) {
    const std::string actual = digest_text(record.output);
    if (actual != *expect->output_digest) {
      out.push_back({field, *expect->output_digest, bytes_text(record.output), loc, {}});
    }
    return;
  }
  Bytes expected;
  std::string origin;
  if (expect && expect->output) {
    expected = *expect->output;
  } else if (step != nullptr) {
    const server::BehaviourSpec& spec = behaviour_for(scenario.server, step->opnum);
    expected = server::answer_to(spec, step->input);
    origin = spec.kind == server::BehaviourKind::normal && spec.response_size
                 ? "the test interface's answer: response_size counting bytes"
                 : "the test interface's answer: the input echoed";
  } else {
    return;
  }
  if (expected == record.output) return;
  const auto diverge =
      std::mismatch(expected.begin(), expected.end(), record.output.begin(), record.output.end());
  const auto at = static_cast<std::size_t>(diverge.first - expected.begin());
  std::string detail = origin.empty() ? "" : origin + "; ";
  detail += "first difference at byte " + std::to_string(at);
  out.push_back({field, bytes_text(expected), bytes_text(record.output), loc, detail});
}

// "RPC_S_CALL_CANCELLED at 1.100s": the outcome an expectation states, for a call that has none.
std::string outcome_text(const CallExpect& expect) {
  std::string text = expect.status ? status_text(*expect.status) : "an end";
  if (expect.ended_at) text += " at " + format_instant(expect.ended_at->at);
  return text;
}

void check_call(const CallExpect& expect, const CallRecord* record, const Scenario& scenario,
                const Observation& observed, const TimingSettings& settings,
                std::vector<Mismatch>& out) {
  const std::string name = "call " + expect.call;
  if (record == nullptr || !record->started) {
    const std::size_t from = out.size();
    out.push_back({name, "started", record ? "never started" : "no record", expect.loc, {}});
    name_rules(scenario, {ClaimKind::call_status, {}, {}, expect.status}, out, from);
    return;
  }
  const std::string still = "still running at " + format_instant(observed.ended_at);
  if (!record->ended && (expect.status || expect.ended_at)) {
    // One mismatch for the outcome the call never reached: its status and instant together.
    std::size_t from = out.size();
    out.push_back({name + (expect.status ? " status" : " ended at"), outcome_text(expect), still,
                   loc_or(expect.status ? expect.status_loc : expect.ended_at->loc, expect.loc),
                   applied_timeouts(scenario, expect.call)});
    name_rules(scenario, {ClaimKind::call_ended, {}, {}, expect.status}, out, from);
    const std::vector<std::string> own = out.back().rules;
    for (const ClaimKind kind : {ClaimKind::call_status, ClaimKind::call_time}) {
      for (const std::string& rule : broken_rules(scenario, {kind, {}, {}, expect.status})) {
        if (std::find(own.begin(), own.end(), rule) == own.end()) out.back().rules.push_back(rule);
      }
    }
  }
  if (expect.status && record->ended) {
    const std::string expected = status_text(*expect.status);
    const std::string actual = call_status_text(*record);
    const std::size_t from = out.size();
    if (actual != expected) {
      out.push_back({name + " status", expected, actual, loc_or(expect.status_loc, expect.loc),
                     record->detail});
    }
    name_rules(scenario, {ClaimKind::call_status, {}, {}, expect.status}, out, from);
  }
  if (expect.ended_at && record->ended) {
    const std::size_t from = out.size();
    if (auto m = timing_mismatch(name + " ended at", *expect.ended_at, record->ended_at, scenario,
                                 settings)) {
      const std::string cancels = applied_timeouts(scenario, expect.call);
      if (!cancels.empty()) m->detail += "; " + cancels;
      out.push_back(*m);
    }
    name_rules(scenario, {ClaimKind::call_time, {}, {}, expect.status}, out, from);
  }
  const std::size_t output_from = out.size();
  if (expect.output_bytes && (!record->ended || record->output.size() != *expect.output_bytes)) {
    out.push_back({name + " output_bytes",
                   std::to_string(*expect.output_bytes),
                   record->ended ? std::to_string(record->output.size()) : still,
                   loc_or(expect.output_loc, expect.loc),
                   {}});
  }
  check_output(&expect, *record, scenario, out);
  name_rules(scenario, {ClaimKind::call_output, {}, {}, {}}, out, output_from);
  if (expect.still_running && record->ended) {
    const std::size_t from = out.size();
    out.push_back(
        {name + " still_running", "still running",
         "ended at " + format_instant(record->ended_at) + " with " + call_status_text(*record),
         expect.loc, record->detail});
    name_rules(scenario, {ClaimKind::call_running, {}, {}, {}}, out, from);
  }
}

const CallExpect* expectation_of(const Scenario& scenario, const std::string& id) {
  for (const CallExpect& e : scenario.expect.calls) {
    if (e.call == id) return &e;
  }
  return nullptr;
}

// A call that no expectation mentions: if it returned, it returned the test interface's answer;
// if it never ended, it hung its caller (CS-NEV-1). In a scenario observed for a window (one
// expects a call still running) others may run on too.
void check_unmentioned_calls(const Scenario& scenario, const Observation& observed,
                             std::vector<Mismatch>& out) {
  for (std::size_t i = 0; i < scenario.steps.size(); ++i) {
    const Step& step = scenario.steps[i];
    if (step.kind != StepKind::call || expectation_of(scenario, step.call) != nullptr) continue;
    const CallRecord* record = call_record(observed, step.call);
    if (record == nullptr || !record->started) continue;
    if (record->ended) {
      const std::size_t from = out.size();
      check_output(nullptr, *record, scenario, out);
      name_rules(scenario, {ClaimKind::call_output, {}, {}, {}}, out, from);
      continue;
    }
    if (expects_running(scenario)) continue;
    const std::size_t from = out.size();
    out.push_back({"call " + step.call + " ended",
                   "an end (no call hangs its caller)",
                   "still running at " + format_instant(observed.ended_at),
                   step.loc,
                   {}});
    name_rules(scenario, {ClaimKind::call_ended, {}, {}, {}}, out, from);
  }
}

}  // namespace

void name_rules(const Scenario& scenario, const Claim& claim, std::vector<Mismatch>& out,
                std::size_t from) {
  if (from >= out.size()) return;
  const std::vector<std::string> rules = broken_rules(scenario, claim);
  for (std::size_t i = from; i < out.size(); ++i)
    out[i].rules = rules;
}

const SourceLoc& loc_or(const SourceLoc& primary, const SourceLoc& fallback) {
  return primary.file.empty() && primary.line == 0 ? fallback : primary;
}

std::string status_text(RpcStatus status) {
  if (auto name = rpc_status_name(status)) return std::string(*name);
  return std::to_string(status);
}

std::string bool_text(bool value) {
  return value ? "true" : "false";
}

std::optional<Mismatch> timing_mismatch(const std::string& field, const ExpectedTime& expected,
                                        Duration actual, const Scenario& scenario,
                                        const TimingSettings& settings) {
  const TimingCheck check = check_instant(scenario, expected.at, actual, settings);
  if (check.ok) return std::nullopt;
  return Mismatch{field, format_instant(check.expected), format_instant(check.actual), expected.loc,
                  "tolerance " + format_tolerance(check)};
}

void check_steps(const Scenario& scenario, const Observation& observed,
                 const TimingSettings& settings, std::vector<Mismatch>& out) {
  for (std::size_t i = 0; i < scenario.steps.size(); ++i) {
    const Step& step = scenario.steps[i];
    const StepRecord* record = record_of(observed, i);
    const std::string name(step_name(step.kind));
    std::size_t from = out.size();
    if (step.expect) check_step(step, i, record, out);
    name_rules(scenario, {ClaimKind::step_status, name, {}, step.expect}, out, from);
    from = out.size();
    if (step.returns_within) check_return_time(step, i, record, settings, out);
    name_rules(scenario, {ClaimKind::step_time, name, {}, {}}, out, from);
    if (record == nullptr || !record->pending) continue;
    // The API never returned (CS-RET-1): whatever it should have returned, it returned nothing.
    from = out.size();
    out.push_back({"step " + std::to_string(i + 1) + " (" + name + ") returned",
                   step.expect ? status_text(*step.expect) + " promptly" : "a prompt return",
                   "no return by " + format_instant(observed.ended_at) + " (called at " +
                       format_instant(record->began) + ")",
                   step.expect ? loc_or(step.expect_loc, step.loc) : step.loc,
                   {}});
    name_rules(scenario, {ClaimKind::step_returned, name, {}, step.expect}, out, from);
  }
}

void check_calls(const Scenario& scenario, const Observation& observed,
                 const TimingSettings& settings, std::vector<Mismatch>& out) {
  for (const CallExpect& expect : scenario.expect.calls) {
    check_call(expect, call_record(observed, expect.call), scenario, observed, settings, out);
  }
  check_unmentioned_calls(scenario, observed, out);
}

}  // namespace internal

std::vector<Mismatch> check(const Scenario& scenario, const Observation& observed,
                            const TimingSettings& settings) {
  std::vector<Mismatch> out;
  internal::check_steps(scenario, observed, settings, out);
  internal::check_calls(scenario, observed, settings, out);
  internal::check_server(scenario, observed, settings, out);
  internal::check_wire(scenario, observed, settings, out);
  return out;
}

}  // namespace rpcfit::run
