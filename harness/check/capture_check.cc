#include "harness/check/capture_check.h"

#include <algorithm>
#include <utility>

#include "harness/check/capture_diff.h"
#include "harness/check/foreign_view.h"
#include "harness/check/witness.h"

namespace rpcfit::run {

GoldenOutcome check_golden(const Scenario& scenario, const Observation& observed, GoldenInput in,
                           const TimingSettings& timing) {
  GoldenOutcome result;
  CaptureCheck& out = result.check;
  NormalizedCapture& actual = in.actual;
  // A scenario that expects a call still running is observed until its timeout; the shutdown
  // that then ends the call (a timeout-0 cancel, the server stopping) is not part of what it
  // observed, and what it puts on the wire varies (an answer may or may not come back in time).
  // Other scenarios end with their calls, and what their shutdown sends is the same every time
  // (a datagram activity's owed ack), so their captures are kept whole.
  if (expects_running(scenario)) {
    std::erase_if(actual.pdus, [&](const NormalizedPdu& p) { return p.at > observed.ended_at; });
  }
  out.path = std::move(in.path);
  out.golden = golden_path(scenario);
  out.digest = actual.digest();
  out.pdus = actual.pdus.size();
  if (!scenario.golden) {
    out.golden.clear();
    out.status = "skipped";
    out.detail = "capture: none (the scenario's exchange differs from run to run)";
    return result;
  }
  const bool exists = in.golden.has_value();
  std::optional<CaptureDiff> diff;
  if (exists) {
    diff = compare(*in.golden, actual, [&](Timestamp expected) {
      return tolerance_for(scenario.tolerance, interval_before(scenario, expected), timing);
    });
  }
  if (observed.foreign != ForeignSide::none) {
    // Goldens are rpcfit's own runtime's in both roles; a foreign side is judged against them.
    if (in.update) out.detail = "not updated: goldens are recorded with rpcfit's runtime alone";
    in.update = false;
    if (exists) {
      const auto judged = compare(
          judged_view(*in.golden, observed.foreign), judged_view(actual, observed.foreign),
          [&](Timestamp expected) {
            return tolerance_for(scenario.tolerance, interval_before(scenario, expected), timing);
          });
      if (judged.same && !diff->same) {
        // What is not the runtime's to decide differs: shown, not judged.
        out.status = "match";
        out.detail = std::string("the ") +
                     (observed.foreign == ForeignSide::client ? "client" : "server") +
                     "'s PDUs match on what the rules constrain; the rest differs, as "
                     "information: " +
                     diff->summary();
        out.diff = diff->lines;
        return result;
      }
      if (!judged.same) diff = judged;
    }
  }
  if (in.update) {
    if (in.passing) {
      if (exists && diff->same) {
        out.status = "unchanged";
      } else {
        out.status = exists ? "updated" : "recorded";
        out.detail = exists ? diff->summary() : "";
        result.record = std::move(actual);
      }
      return result;
    }
    out.detail = "not updated: the scenario did not pass";
  }
  if (!exists) {
    out.status = "no-golden";
    out.detail =
        "no golden capture at " + out.golden + " (record one: rpcfit run --update-captures)";
    return result;
  }
  if (diff->same) {
    out.status = "match";
    return result;
  }
  out.status = "differs";
  out.diff = diff->lines;
  if (out.detail.empty()) out.detail = diff->summary();
  result.mismatch = Mismatch{"capture",
                             "as golden " + out.golden,
                             diff->summary() + " (" + std::to_string(out.pdus) + " PDUs)",
                             scenario.loc,
                             "",
                             broken_rules(scenario, Claim{ClaimKind::capture, {}, {}, {}})};
  return result;
}

std::optional<CaptureCheck> live_skipped(const Scenario& scenario, const std::string& interface,
                                         const std::string& problem, const std::string& path,
                                         const std::string& own_path) {
  CaptureCheck out;
  out.path = path;
  out.golden = own_path;
  out.status = "skipped";
  if (!problem.empty()) {
    out.detail = problem;
    return out;
  }
  if (!crosses_ip_interface(scenario.protseq)) {
    out.detail = scenario.protseq + " does not cross " + interface +
                 " (a Unix-domain socket or a message queue)";
    return out;
  }
  return std::nullopt;
}

LiveOutcome check_live(const Scenario& scenario, const std::string& interface,
                       const LiveEvidence& in) {
  LiveOutcome result;
  CaptureCheck& out = result.check;
  out.path = in.path;
  out.golden = in.own_path;
  out.digest = in.seen.digest();
  out.pdus = in.seen.pdus.size();
  // Every PDU of the runtime's capture must be on the wire, in its order; their clocks differ
  // (scenario time against the kernel's), so times are not compared. The wire may hold more only
  // towards the client: a datagram that came after the client had let its activity go.
  const auto diff = compare(in.teed, in.seen, [](Timestamp) { return Timestamp::max(); });
  const bool unseen_by_client =
      std::all_of(diff.extra_at.begin(), diff.extra_at.end(), [&](std::size_t i) {
        return !in.seen.pdus[i].to_server && in.seen.pdus[i].transport == TransportKind::udp;
      });
  if (diff.same || (diff.missing == 0 && unseen_by_client)) {
    out.status = "match";
    if (!diff.same) {
      out.diff = diff.lines;
      out.detail = std::to_string(diff.extra) +
                   " datagram(s) to the client after it had let the activity go";
    }
    return result;
  }
  out.status = "differs";
  out.diff = diff.lines;
  out.detail = diff.summary();
  result.mismatch = Mismatch{"live capture",
                             "the PDUs of " + out.golden,
                             diff.summary() + " on " + interface,
                             scenario.loc,
                             "",
                             broken_rules(scenario, Claim{ClaimKind::capture, {}, {}, {}})};
  return result;
}

}  // namespace rpcfit::run
