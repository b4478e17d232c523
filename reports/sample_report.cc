#include "reports/sample_report.h"

namespace rpcfit::reports::testing {
namespace {

ScenarioResult base(const std::string& id, const std::string& verdict, const std::string& area) {
  ScenarioResult s;
  s.id = id;
  s.title = "Title of " + id;
  s.file = "scenarios/" + id + ".yaml";
  s.area = area;
  s.level = "must";
  s.protseq = "ncacn_ip_tcp";
  s.tags = {"cancel"};
  s.rules = {"CS-TMO-2", "CS-FWD-1"};
  s.seed = 1234567890123456789ULL;
  s.verdict = verdict;
  s.wall_ms = 110.5;
  s.ended_ms = 1100.25;
  return s;
}

std::vector<WireLine> hung_wire() {
  return {
      {0.2, true, "bind", "bind call_id=1 flags=FIRST|LAST max_xmit=5840 max_recv=5840"},
      {1.1, false, "bind_ack", "bind_ack call_id=1 flags=FIRST|LAST assoc_group=0x1000"},
      {1.3, true, "request", "request call_id=1 flags=FIRST|LAST ctx=0 opnum=1 stub=64"},
      {100.4, true, "co_cancel", "co_cancel call_id=1 flags=LAST|PENDING_CANCEL"},
      {1100.6, true, "orphaned", "orphaned call_id=1 flags=FIRST|LAST"},
  };
}

}  // namespace

RunReport sample_report() {
  RunReport r;
  r.tool_version = "0.1.0";
  r.driver = "inproc";
  r.started_at = "2026-12-06T04:27:09Z";
  r.wall_ms = 2790.5;
  r.seed = 3913299748625767897ULL;
  r.settings.paths = {"scenarios"};
  r.settings.jobs = 2;
  r.settings.time_scale = 1;
  r.settings.tolerance_scale = 1;

  ScenarioResult pass = base("timeout/co/hung-server-finite", "PASS", "co-call");
  pass.calls = {{"c1", false, true, true, 0.1, 1100.7, false, "RPC_S_CALL_CANCELLED", 1818, 0,
                 "cancel timeout expired; call orphaned"}};
  pass.steps = {{1, "cancel", "scenarios/timeout/co/hung-server-finite.yaml:8:5", true, 100.0,
                 100.02, std::string("RPC_S_OK"), std::nullopt}};
  pass.server_calls = {
      {1, 1, {{"started", 1.4, ""}, {"saw_cancel", 100.6, ""}}, std::nullopt, std::nullopt}};
  pass.wire = hung_wire();
  // Played again: its first attempt failed while the machine stalled.
  pass.stall_ms = 3.5;
  pass.retried = {{"FAIL", "breaks CS-TMO-2 <late>", 152.25}};
  pass.capture = CaptureCheck{"match",
                              "timeout/co/hung-server-finite/capture.pcap",
                              "captures/golden/timeout/co/hung-server-finite.pcap",
                              "9f2c41aa07d3e6b1",
                              5,
                              {},
                              ""};
  r.scenarios.push_back(pass);

  ScenarioResult fail = base("faults/udp/lost-cl-cancel", "FAIL", "datagram");
  fail.protseq = "ncadg_ip_udp";
  fail.mismatches = {
      {"scenarios/faults/udp/lost-cl-cancel.yaml:18:28",
       "server call 1 saw_cancel_at",
       "100ms",
       "359.788ms",
       "tolerance 50ms",
       {"CS-DG-2"}},
      {"scenarios/faults/udp/lost-cl-cancel.yaml:24:54",
       "wire[1] at",
       "100ms",
       "352.293ms",
       "tolerance 50ms; #3 at 352.293ms: out cl_cancel cancel_id=1 <&\"|`>",
       {"CS-DG-1", "CS-DG-5"}},
  };
  fail.wire = {{0.3, true, "request", "request seqnum=0 fragnum=0 opnum=3"},
               {352.3, true, "cl_cancel", "cl_cancel seqnum=0 cancel_id=1"},
               {352.9, false, "cancel_ack", "cancel_ack seqnum=0 cancel_id=1 accepting=1"},
               {360.1, false, "fault", "fault seqnum=0 status=nca_s_fault_cancel"}};
  fail.fault_seed = 16525389670970726842ULL;
  fail.faults = {"drop,pdu=cl_cancel,nth=1"};
  fail.injected = {{"drop", 1}};
  fail.capture = CaptureCheck{"differs",
                              "faults/udp/lost-cl-cancel/capture.pcap",
                              "captures/golden/faults/udp/lost-cl-cancel.pcap",
                              "00aa11bb22cc33dd",
                              4,
                              {"  #1   0.000  c>s request seqnum=0", "- #2 350.000  c>s cl_cancel",
                               "+ #2 352.293  c>s cl_cancel cancel_id=2"},
                              ""};
  r.scenarios.push_back(fail);

  ScenarioResult error = base("server/co/stuck", "ERROR", "server");
  error.reason = "watchdog: step 2 (cancel, x.yaml:9:5): RpcCancelThreadEx did not return";
  r.scenarios.push_back(error);

  ScenarioResult skip = base("protseq/mq/lab", "SKIP", "client-api");
  skip.reason = "the lab <printer> & co are on fire";
  r.scenarios.push_back(skip);

  ScenarioResult xfail = base("cancel/co/known-bug", "XFAIL", "co-call");
  xfail.reason = "known bug 42";
  xfail.mismatches = {{"scenarios/cancel/co/known-bug.yaml:12:7", "call c1 status", "RPC_S_OK",
                       "RPC_S_ACCESS_DENIED", ""}};
  r.scenarios.push_back(xfail);

  ScenarioResult xpass = base("cancel/co/stale-mark", "XPASS", "co-call");
  xpass.reason = "marked as a known failure (bug 7) but passed";
  r.scenarios.push_back(xpass);
  return r;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

}  // namespace rpcfit::reports::testing
