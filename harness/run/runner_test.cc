#include "harness/run/runner.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>

#include "harness/run/fake_driver.h"

namespace rpcfit::run {
namespace {

using namespace std::chrono_literals;
using testing::FakeDriver;

constexpr double kScale = 0.05;  // one scenario second = 50 ms

RunSettings fast() {
  RunSettings s;
  s.time_scale = kScale;
  s.seed = 42;
  s.watchdog_grace = 5000ms;
  // Timing matches within 100 ms of real time: generous for a loaded machine, while the misses
  // the tests make are seconds of scenario time.
  s.tolerance_scale = 5;
  return s;
}

Step call_step(std::string id, std::uint16_t opnum, Duration at = {}, std::string thread = "main") {
  Step s;
  s.kind = StepKind::call;
  s.call = std::move(id);
  s.opnum = opnum;
  s.at = at;
  s.thread = std::move(thread);
  s.input = Bytes(4, 0x11);
  s.loc = {"t.yaml", 10, 5};
  return s;
}

Step cancel_step(Duration at, long timeout, std::string thread = "main") {
  Step s;
  s.kind = StepKind::cancel;
  s.at = at;
  s.timeout = timeout;
  s.thread = std::move(thread);
  s.loc = {"t.yaml", 11, 5};
  return s;
}

CallExpect ends_with(std::string call, RpcStatus status, std::optional<Duration> at = {}) {
  CallExpect e;
  e.call = std::move(call);
  e.status = status;
  e.status_loc = {"t.yaml", 20, 7};
  e.loc = {"t.yaml", 20, 5};
  if (at) e.ended_at = ExpectedTime{*at, {"t.yaml", 21, 7}};
  return e;
}

Scenario scenario(std::string id) {
  Scenario s;
  s.id = std::move(id);
  s.loc = {"t.yaml"};
  s.timeout = 3s;
  return s;
}

TEST(Runner, PassesAReturningCall) {
  FakeDriver driver;
  Scenario s = scenario("pass");
  s.steps = {call_step("c1", 0)};
  s.expect.calls = {ends_with("c1", status::kOk, 0ms)};
  const ScenarioRun run = Runner(driver, fast()).run_one(s);
  EXPECT_EQ(run.verdict, Verdict::pass) << run.reason;
  EXPECT_TRUE(run.mismatches.empty());
  ASSERT_EQ(run.observed.calls.size(), 1u);
  EXPECT_TRUE(run.observed.calls[0].returned);
  EXPECT_EQ(run.observed.calls[0].output.size(), 4u);
  ASSERT_EQ(run.observed.server_calls.size(), 1u);
}

TEST(Runner, FailsWithTheMismatchAndItsLine) {
  FakeDriver driver;
  Scenario s = scenario("fail");
  s.steps = {call_step("c1", 0)};
  s.expect.calls = {ends_with("c1", status::kCallCancelled)};
  const ScenarioRun run = Runner(driver, fast()).run_one(s);
  EXPECT_EQ(run.verdict, Verdict::fail);
  ASSERT_EQ(run.mismatches.size(), 1u);
  EXPECT_EQ(run.mismatches[0].expected, "RPC_S_CALL_CANCELLED");
  EXPECT_EQ(run.mismatches[0].actual, "RPC_S_OK");
  EXPECT_EQ(to_string(run.mismatches[0].loc), "t.yaml:20:7");
}

TEST(Runner, PlaysTheCancelTimeoutOnTheClock) {
  FakeDriver driver;
  Scenario s = scenario("timeout");
  s.steps = {call_step("c1", 1), cancel_step(100ms, 1)};
  s.steps[1].expect = status::kOk;
  s.expect.calls = {ends_with("c1", status::kCallCancelled, 1100ms)};
  const ScenarioRun run = Runner(driver, fast()).run_one(s);
  EXPECT_EQ(run.verdict, Verdict::pass)
      << (run.mismatches.empty() ? run.reason : to_string(run.mismatches[0]));
  ASSERT_TRUE(run.observed.steps[1].returned.has_value());
  EXPECT_EQ(*run.observed.steps[1].returned, status::kOk);
  // The call ended after the cancel's timeout, not before it.
  EXPECT_GE(run.observed.calls[0].ended_at, 1100ms);
}

TEST(Runner, ATimingMissSaysExpectedActualAndTolerance) {
  FakeDriver driver;
  Scenario s = scenario("late");
  s.timeout = 10s;
  s.steps = {call_step("c1", 1), cancel_step(100ms, 20)};
  s.expect.calls = {ends_with("c1", status::kCallCancelled, 1100ms)};
  const ScenarioRun run = Runner(driver, fast()).run_one(s);
  ASSERT_EQ(run.verdict, Verdict::fail);
  ASSERT_EQ(run.mismatches.size(), 1u);
  EXPECT_EQ(to_string(run.mismatches[0].loc), "t.yaml:21:7");
  EXPECT_NE(run.mismatches[0].detail.find("tolerance"), std::string::npos)
      << run.mismatches[0].detail;
}

TEST(Runner, AccessDeniedIsAStepResult) {
  FakeDriver driver;
  Scenario s = scenario("access");
  s.steps = {call_step("c1", 0, 0ms), cancel_step(10ms, 0)};
  s.steps[1].access = 0x40u;  // THREAD_QUERY_INFORMATION only
  s.steps[1].expect = status::kAccessDenied;
  const ScenarioRun run = Runner(driver, fast()).run_one(s);
  EXPECT_EQ(run.verdict, Verdict::pass);
  EXPECT_EQ(run.observed.steps[1].returned, status::kAccessDenied);
}

// A call the runtime under test never ends is the FAIL of the expectations it breaks, checked
// against what was observed up to the watchdog; the reason names the rules and what the watchdog
// found still running.
TEST(Runner, AStuckCallFailsTheExpectationsItBreaksAndNamesTheirRules) {
  FakeDriver driver;
  Scenario s = scenario("stuck");
  s.spec = {"CS-TMO-2"};
  s.timeout = 1s;
  s.steps = {call_step("c1", 1)};  // never cancelled: runs until shutdown
  s.expect.calls = {ends_with("c1", status::kCallCancelled)};
  RunSettings settings = fast();
  settings.watchdog_grace = 200ms;
  const auto before = std::chrono::steady_clock::now();
  const ScenarioRun run = Runner(driver, settings).run_one(s);
  ASSERT_EQ(run.verdict, Verdict::fail) << run.reason;
  ASSERT_EQ(run.mismatches.size(), 1u);
  EXPECT_EQ(run.mismatches[0].field, "call c1 status");
  EXPECT_EQ(run.mismatches[0].actual.rfind("still running at ", 0), 0u) << run.mismatches[0].actual;
  EXPECT_EQ(to_string(run.mismatches[0].loc), "t.yaml:20:7");
  EXPECT_EQ(run.mismatches[0].rules, (std::vector<std::string>{"CS-NEV-1", "CS-TMO-2"}));
  EXPECT_EQ(run.reason.rfind("breaks CS-NEV-1, CS-TMO-2; the watchdog ended it: ", 0), 0u)
      << run.reason;
  EXPECT_NE(run.reason.find("call c1 had not ended"), std::string::npos) << run.reason;
  EXPECT_NE(run.reason.find("thread main: in call c1 (opnum 1)"), std::string::npos) << run.reason;
  // The session's shutdown ended the call, so its thread came back.
  EXPECT_EQ(run.reason.find("did not end"), std::string::npos) << run.reason;
  EXPECT_LT(std::chrono::steady_clock::now() - before, 20s);
}

TEST(Runner, AWaitStepThatNeverEndsFailsTheCallItWaitedFor) {
  FakeDriver driver;
  Scenario s = scenario("wait");
  s.timeout = 500ms;
  Step wait;
  wait.kind = StepKind::wait;
  wait.call = "c1";
  wait.at = 10ms;
  wait.loc = {"t.yaml", 12, 5};
  s.steps = {call_step("c1", 1), wait};
  RunSettings settings = fast();
  settings.watchdog_grace = 100ms;
  const ScenarioRun run = Runner(driver, settings).run_one(s);
  ASSERT_EQ(run.verdict, Verdict::fail) << run.reason;
  ASSERT_EQ(run.mismatches.size(), 1u);
  EXPECT_EQ(to_string(run.mismatches[0]).rfind("t.yaml:10:5: call c1 ended: expected an end", 0),
            0u)
      << to_string(run.mismatches[0]);
  EXPECT_NE(run.reason.find("step 2 (wait, t.yaml:12:5) waited for call c1"), std::string::npos)
      << run.reason;
}

// A call that not even the session's shutdown ends: still the runtime's FAIL, its thread is
// reported and left behind, and the run goes on.
TEST(Runner, AThreadNothingCanEndIsReportedAndTheRunGoesOn) {
  FakeDriver driver;
  Scenario s = scenario("left-behind");
  s.timeout = 300ms;
  s.steps = {call_step("c1", 2)};
  RunSettings settings = fast();
  settings.watchdog_grace = 100ms;
  Runner runner(driver, settings);
  const ScenarioRun run = runner.run_one(s);
  EXPECT_EQ(run.verdict, Verdict::fail);
  EXPECT_NE(run.reason.find("client thread main did not end"), std::string::npos) << run.reason;
  ASSERT_EQ(run.mismatches.size(), 1u);
  EXPECT_EQ(run.mismatches[0].rules, std::vector<std::string>{"CS-NEV-1"});
  driver.release();  // the abandoned thread finishes now
  Scenario next = scenario("next");
  next.steps = {call_step("c1", 0)};
  EXPECT_EQ(runner.run_one(next).verdict, Verdict::pass);
}

// Harness trouble before the timeline (a client thread that will not register, here a session
// that cannot register one) stays an ERROR: nothing of the runtime under test was judged.
TEST(Runner, HarnessTroubleBeforeTheTimelineIsAnError) {
  FakeDriver driver;
  driver.refuse = SessionError{false, "cannot open the session: no port", {}};
  Scenario s = scenario("refused");
  s.steps = {call_step("c1", 0)};
  const ScenarioRun run = Runner(driver, fast()).run_one(s);
  EXPECT_EQ(run.verdict, Verdict::error);
  EXPECT_TRUE(run.mismatches.empty());
  EXPECT_EQ(run.reason, "cannot open the session: no port");
}

// A scenario's private directories, made under a work directory of the test's: the runner must
// leave none behind when every thread came back.
class WorkDir {
 public:
  WorkDir() {
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("rpcfit-runner-" + std::to_string(::getpid()) + "-" + std::to_string(++made_));
    std::filesystem::create_directories(path_);
  }
  ~WorkDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(path_),
                                                  std::filesystem::directory_iterator()));
  }

 private:
  static inline int made_ = 0;
  std::filesystem::path path_;
};

// RpcCancelThreadEx returns promptly (CS-RET-1); a runtime whose cancel blocks is caught by the
// watchdog, failed on CS-RET-1 at its step, and left behind without stopping the run.
TEST(Runner, AnApiCallThatNeverReturnsFailsRet1) {
  FakeDriver driver;
  driver.cancel_blocks = true;
  Scenario s = scenario("stuck-cancel");
  s.timeout = 300ms;
  s.steps = {call_step("c1", 1), cancel_step(100ms, 0)};
  RunSettings settings = fast();
  settings.watchdog_grace = 200ms;
  Runner runner(driver, settings);
  const auto before = std::chrono::steady_clock::now();
  const ScenarioRun run = runner.run_one(s);
  ASSERT_EQ(run.verdict, Verdict::fail) << run.reason;
  ASSERT_FALSE(run.mismatches.empty());
  EXPECT_EQ(to_string(run.mismatches[0])
                .rfind("t.yaml:11:5: step 2 (cancel) returned: expected "
                       "a prompt return, got no return by ",
                       0),
            0u)
      << to_string(run.mismatches[0]);
  EXPECT_EQ(run.mismatches[0].rules, std::vector<std::string>{"CS-RET-1"});
  EXPECT_NE(run.reason.find("step 2 (cancel, t.yaml:11:5): RpcCancelThreadEx did not return; the "
                            "timeline's thread is in RpcCancelThreadEx of step 2"),
            std::string::npos)
      << run.reason;
  EXPECT_NE(run.reason.find("the timeline's thread did not end"), std::string::npos) << run.reason;
  // The session's shutdown still ended the call the cancel was meant for.
  EXPECT_EQ(run.reason.find("client thread main did not end"), std::string::npos) << run.reason;
  EXPECT_LT(std::chrono::steady_clock::now() - before, 20s);
  driver.release();  // the abandoned cancel returns now, into its intact world
  driver.cancel_blocks = false;
  Scenario next = scenario("next");
  next.steps = {call_step("c1", 1), cancel_step(100ms, 0)};
  next.expect.calls = {ends_with("c1", status::kCallCancelled)};
  EXPECT_EQ(runner.run_one(next).verdict, Verdict::pass);
}

// A timeline step late because the API before it had not returned is that API's FAIL (CS-RET-1),
// not machine load.
TEST(Runner, AStepHeldByASlowApiFailsThatApi) {
  FakeDriver driver;
  driver.cancel_takes = std::chrono::milliseconds(600);
  Scenario s = scenario("late");
  s.steps = {call_step("c1", 1), cancel_step(100ms, 0), cancel_step(200ms, 0)};
  s.steps[2].loc = {"t.yaml", 12, 5};
  s.expect.calls = {ends_with("c1", status::kCallCancelled, 100ms)};
  RunSettings settings = fast();
  settings.time_scale = 1;  // 500 ms of scenario time late, against a 50 ms tolerance x 5
  const ScenarioRun run = Runner(driver, settings).run_one(s);
  ASSERT_EQ(run.verdict, Verdict::fail) << run.reason;
  const auto held =
      std::find_if(run.mismatches.begin(), run.mismatches.end(),
                   [](const Mismatch& m) { return m.field == "step 2 (cancel) returned"; });
  ASSERT_NE(held, run.mismatches.end());
  EXPECT_EQ(held->expected,
            "a prompt return, before step 3 (cancel, t.yaml:12:5) was due at 200ms");
  EXPECT_EQ(held->rules, std::vector<std::string>{"CS-RET-1"});
}

// A timeline step that runs later than the timing tolerance while no API of the runtime held it
// (here behind a wait, as behind a busy machine) makes the run an ERROR that says so, rather than
// timing failures blamed on the runtime.
TEST(Runner, ALateTimelineStepIsHarnessTroubleNotAFailure) {
  FakeDriver driver;
  Scenario s = scenario("late");
  Step wait;
  wait.kind = StepKind::wait;
  wait.call = "c1";
  wait.loc = {"t.yaml", 12, 5};
  s.steps = {call_step("c1", 1), cancel_step(0ms, 1), wait, cancel_step(200ms, 0)};
  s.steps[3].loc = {"t.yaml", 13, 5};
  RunSettings settings = fast();
  settings.time_scale = 0.5;  // c1 ends at 1 s; the cancel due at 200 ms runs then
  const ScenarioRun run = Runner(driver, settings).run_one(s);
  EXPECT_EQ(run.verdict, Verdict::error)
      << (run.mismatches.empty() ? run.reason : to_string(run.mismatches.front()));
  EXPECT_NE(run.reason.find("harness: step 4 (cancel, t.yaml:13:5) ran "), std::string::npos)
      << run.reason;
  EXPECT_NE(run.reason.find("after its instant (tolerance 250ms)"), std::string::npos)
      << run.reason;
}

// A step queued on a client thread behind a call runs once the call ends; the observation waits
// for it rather than reporting it as not run.
TEST(Runner, StepsQueuedBehindACallRunBeforeTheObservationCloses) {
  FakeDriver driver;
  Runner runner(driver, fast());
  for (int round = 0; round < 20; ++round) {
    Scenario s = scenario("queued");
    Step set;
    set.kind = StepKind::set_cancel_timeout;
    set.thread = "main";
    set.timeout = 5;
    set.expect = status::kOk;
    set.expect_loc = {"t.yaml", 12, 7};
    s.steps = {call_step("c1", 0), set};
    const ScenarioRun run = runner.run_one(s);
    ASSERT_EQ(run.verdict, Verdict::pass)
        << "round " << round << ": "
        << (run.mismatches.empty() ? run.reason : to_string(run.mismatches.front()));
    ASSERT_TRUE(run.observed.steps[1].ran);
  }
}

// Harness trouble in the middle of a run (here a step naming a call the model lacks, which the
// loader would have refused) is an ERROR; what ran is ended and the run's directory removed.
TEST(Runner, HarnessTroubleMidRunIsAnErrorAndLeavesNothingBehind) {
  FakeDriver driver;
  WorkDir work;
  Scenario s = scenario("trouble");
  Step cancel;
  cancel.kind = StepKind::async_cancel;
  cancel.call = "nope";
  cancel.at = 50ms;
  s.steps = {call_step("c1", 1), cancel};
  RunSettings settings = fast();
  settings.work_dir = work.path();
  const ScenarioRun run = Runner(driver, settings).run_one(s);
  EXPECT_EQ(run.verdict, Verdict::error);
  EXPECT_EQ(run.reason, "harness: no call nope");
  EXPECT_EQ(work.entries(), 0u);
}

// A CaptureStore in memory: every run's capture is `actual`, the goldens are `goldens` by path;
// it remembers what the runner asked of it. open() throws for a scenario called "unwritable",
// read() for one called "throws".
class MemoryStore : public CaptureStore {
 public:
  struct NullSink : CaptureSink {
    void connection_opened(Timestamp, const Endpoint&, const Endpoint&) override {}
    void pdu(const CapturedPdu&) override {}
    void connection_closed(Timestamp, const Endpoint&, const Endpoint&) override {}
  };
  std::unique_ptr<CaptureSink> open(const Scenario& scenario, unsigned) override {
    if (scenario.id == "unwritable") {
      throw std::runtime_error("cannot write out/x/capture.pcap: Permission denied");
    }
    return std::make_unique<NullSink>();
  }
  Stored read(const Scenario& scenario, unsigned, Timestamp origin) override {
    read_ids.push_back(scenario.id);
    EXPECT_NE(origin, Timestamp{});
    if (scenario.id == "throws") throw std::runtime_error("cannot read the capture");
    return Stored{scenario.id + "/capture.pcap", actual};
  }
  std::optional<NormalizedCapture> golden(const std::string& path) override {
    const auto it = goldens.find(path);
    if (it == goldens.end()) return std::nullopt;
    return it->second;
  }
  void record_golden(const std::string& path, const NormalizedCapture& capture) override {
    goldens[path] = capture;
    recorded.push_back(path);
  }
  LiveEvidence live_paths(const Scenario&, unsigned) const override { return {}; }
  LiveEvidence live(const Scenario&, unsigned) override { return {}; }

  NormalizedCapture actual;
  std::map<std::string, NormalizedCapture> goldens;
  std::vector<std::string> read_ids;
  std::vector<std::string> recorded;
};

NormalizedCapture one_pdu(const std::string& text) {
  NormalizedCapture c;
  NormalizedPdu p;
  p.text = text;
  c.pdus.push_back(p);
  return c;
}

// A capture that cannot be made (an unwritable --out) is an ERROR, not a run without one.
TEST(Runner, ACaptureThatCannotBeMadeIsAnError) {
  FakeDriver driver;
  WorkDir work;
  Scenario s = scenario("unwritable");
  s.steps = {call_step("c1", 0)};
  RunSettings settings = fast();
  settings.work_dir = work.path();
  MemoryStore store;
  const ScenarioRun run = Runner(driver, settings, &store).run_one(s);
  EXPECT_EQ(run.verdict, Verdict::error);
  EXPECT_EQ(run.reason, "harness: cannot write out/x/capture.pcap: Permission denied");
  EXPECT_EQ(work.entries(), 0u);
  EXPECT_EQ(driver.opened(), 0);
}

// The capture checks, made once the world is gone, join the expectations' mismatches before the
// one verdict; they see the observation, and are not made for an ERROR or a SKIP.
TEST(Runner, CaptureChecksJoinTheVerdict) {
  FakeDriver driver;
  MemoryStore store;
  store.actual = one_pdu("request call_id=1");
  store.goldens["captures/golden/after.pcap"] = one_pdu("request call_id=2");
  store.goldens["captures/golden/known.pcap"] = one_pdu("request call_id=1");
  Scenario s = scenario("after");
  s.steps = {call_step("c1", 0)};
  Runner runner(driver, fast(), &store);
  const ScenarioRun failed = runner.run_one(s);
  EXPECT_EQ(failed.verdict, Verdict::fail);
  ASSERT_EQ(failed.mismatches.size(), 1u);
  EXPECT_EQ(failed.mismatches[0].field, "capture");
  ASSERT_TRUE(failed.capture);
  EXPECT_EQ(failed.capture->status, "differs");
  EXPECT_EQ(failed.capture->path, "after/capture.pcap");

  Scenario known = s;
  known.id = "known";
  known.xfail = "the golden is stale";
  const ScenarioRun xpass = runner.run_one(known);
  EXPECT_EQ(xpass.verdict, Verdict::xpass);
  EXPECT_EQ(xpass.capture->status, "match");

  Scenario throws = s;
  throws.id = "throws";
  const ScenarioRun error = runner.run_one(throws);
  EXPECT_EQ(error.verdict, Verdict::error);
  EXPECT_EQ(error.reason, "harness: cannot read the capture");

  Scenario skipped = s;
  skipped.id = "skipped";
  skipped.skip = "not here";
  EXPECT_EQ(runner.run_one(skipped).verdict, Verdict::skip);
  EXPECT_EQ(store.read_ids, (std::vector<std::string>{"after", "known", "throws"}));
}

// --update-captures records the golden of a passing scenario, never of a failing one.
TEST(Runner, UpdateCapturesRecordsTheGoldensOfPassingScenariosOnly) {
  FakeDriver driver;
  MemoryStore store;
  store.actual = one_pdu("request call_id=1");
  RunSettings settings = fast();
  settings.update_captures = true;
  Runner runner(driver, settings, &store);
  Scenario passes = scenario("passes");
  passes.steps = {call_step("c1", 0)};
  const ScenarioRun recorded = runner.run_one(passes);
  EXPECT_EQ(recorded.verdict, Verdict::pass);
  EXPECT_EQ(recorded.capture->status, "recorded");
  Scenario fails = passes;
  fails.id = "fails";
  fails.expect.calls = {ends_with("c1", status::kCallCancelled)};
  const ScenarioRun failed = runner.run_one(fails);
  EXPECT_EQ(failed.verdict, Verdict::fail);
  EXPECT_EQ(failed.capture->status, "no-golden");
  EXPECT_EQ(store.recorded, (std::vector<std::string>{"captures/golden/passes.pcap"}));
}

TEST(Runner, ObservesAStillRunningCallUntilTheTimeout) {
  FakeDriver driver;
  Scenario s = scenario("running");
  s.timeout = 400ms;
  s.steps = {call_step("c1", 1)};
  CallExpect e;
  e.call = "c1";
  e.still_running = true;
  s.expect.calls = {e};
  const ScenarioRun run = Runner(driver, fast()).run_one(s);
  EXPECT_EQ(run.verdict, Verdict::pass) << run.reason;
  EXPECT_GE(run.observed.ended_at, 400ms);
}

TEST(Runner, DriverRefusalIsAnErrorAndItsSkipASkip) {
  FakeDriver driver;
  Scenario s = scenario("refused");
  s.steps = {call_step("c1", 0)};
  driver.refuse = SessionError{false, "no such protocol sequence", {}};
  ScenarioRun run = Runner(driver, fast()).run_one(s);
  EXPECT_EQ(run.verdict, Verdict::error);
  EXPECT_EQ(run.reason, "no such protocol sequence");
  driver.refuse = SessionError{true, "no message queues here", {}};
  run = Runner(driver, fast()).run_one(s);
  EXPECT_EQ(run.verdict, Verdict::skip);
  EXPECT_EQ(run.reason, "no message queues here");
}

TEST(Runner, ScenarioSkipIsNotRun) {
  FakeDriver driver;
  Scenario s = scenario("skipped");
  s.skip = "needs a Windows peer";
  s.steps = {call_step("c1", 0)};
  const ScenarioRun run = Runner(driver, fast()).run_one(s);
  EXPECT_EQ(run.verdict, Verdict::skip);
  EXPECT_EQ(run.reason, "needs a Windows peer");
  EXPECT_EQ(driver.opened(), 0);
}

TEST(Runner, KnownFailuresAreXfailAndStaleMarksXpass) {
  FakeDriver driver;
  Scenario failing = scenario("xfail");
  failing.xfail = "issue 12";
  failing.steps = {call_step("c1", 0)};
  failing.expect.calls = {ends_with("c1", status::kCallCancelled)};
  ScenarioRun run = Runner(driver, fast()).run_one(failing);
  EXPECT_EQ(run.verdict, Verdict::xfail);
  EXPECT_EQ(run.reason, "issue 12");
  EXPECT_FALSE(fails_run(run.verdict));

  Scenario passing = failing;
  passing.expect.calls = {ends_with("c1", status::kOk)};
  run = Runner(driver, fast()).run_one(passing);
  EXPECT_EQ(run.verdict, Verdict::xpass);
  EXPECT_TRUE(fails_run(run.verdict));
}

TEST(Runner, AsyncCallsEndThroughAsyncCancel) {
  FakeDriver driver;
  Scenario s = scenario("async");
  Step call = call_step("a1", 1);
  call.async = true;
  Step cancel;
  cancel.kind = StepKind::async_cancel;
  cancel.call = "a1";
  cancel.at = 50ms;
  cancel.expect = status::kOk;
  s.steps = {call, cancel};
  s.expect.calls = {ends_with("a1", status::kCallCancelled, 50ms)};
  const ScenarioRun run = Runner(driver, fast()).run_one(s);
  EXPECT_EQ(run.verdict, Verdict::pass)
      << (run.mismatches.empty() ? run.reason : to_string(run.mismatches[0]));
}

TEST(Runner, ClientThreadsAreDistinctAndStepsOnOneThreadQueue) {
  FakeDriver driver;
  Scenario s = scenario("threads");
  s.steps = {call_step("c1", 1, 0ms, "t1"), call_step("c2", 0, 10ms, "t2"),
             call_step("c3", 0, 20ms, "t1"), cancel_step(100ms, 0, "t1")};
  const ScenarioRun run = Runner(driver, fast()).run_one(s);
  ASSERT_EQ(run.verdict, Verdict::pass) << run.reason;
  const auto& calls = run.observed.calls;
  // c2 ran at once on its own thread; c3 waited on t1 behind c1 until the cancel ended it.
  EXPECT_LT(calls[1].ended_at, 100ms);
  EXPECT_GE(calls[2].started_at, calls[0].ended_at);
  EXPECT_EQ(calls[0].status, status::kCallCancelled);
}

TEST(Runner, RunAllKeepsOrderRepeatsAndReportsProgress) {
  FakeDriver driver;
  std::vector<Scenario> scenarios;
  for (int i = 0; i < 3; ++i) {
    scenarios.push_back(scenario("s" + std::to_string(i)));
    scenarios.back().steps = {call_step("c1", 0)};
  }
  RunSettings settings = fast();
  settings.jobs = 2;
  settings.repeat = 2;
  std::vector<const Scenario*> pointers;
  for (const auto& s : scenarios)
    pointers.push_back(&s);
  std::vector<std::size_t> dones;
  const auto runs =
      Runner(driver, settings)
          .run_all(pointers, [&](const ScenarioRun&, std::size_t done, std::size_t total) {
            EXPECT_EQ(total, 6u);
            dones.push_back(done);
          });
  ASSERT_EQ(runs.size(), 6u);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(runs[i].scenario, pointers[i / 2]);
    EXPECT_EQ(runs[i].repetition, i % 2);
    EXPECT_EQ(runs[i].verdict, Verdict::pass);
  }
  EXPECT_EQ(dones, (std::vector<std::size_t>{1, 2, 3, 4, 5, 6}));
  std::set<std::uint64_t> seeds;
  for (const auto& r : runs)
    seeds.insert(r.seed);
  EXPECT_EQ(seeds.size(), 6u);
}

TEST(Runner, FailFastSkipsWhatIsLeft) {
  FakeDriver driver;
  std::vector<Scenario> scenarios(3, scenario("x"));
  for (int i = 0; i < 3; ++i) {
    scenarios[static_cast<std::size_t>(i)].id = "s" + std::to_string(i);
    scenarios[static_cast<std::size_t>(i)].steps = {call_step("c1", 0)};
  }
  scenarios[0].expect.calls = {ends_with("c1", status::kCallCancelled)};
  RunSettings settings = fast();
  settings.fail_fast = true;
  const auto runs = Runner(driver, settings).run_all({&scenarios[0], &scenarios[1], &scenarios[2]});
  EXPECT_EQ(runs[0].verdict, Verdict::fail);
  EXPECT_EQ(runs[1].verdict, Verdict::skip);
  EXPECT_NE(runs[2].reason.find("--fail-fast"), std::string::npos);
}

// A clock for the stall monitor: every wake-up `late` after its instant (a machine that stalls).
StallMonitor::Now stalling(std::chrono::nanoseconds late) {
  return [late] { return std::chrono::steady_clock::now() + late; };
}

// A clock for the stall monitor that never shows lateness (an idle machine, whatever this one is).
StallMonitor::Now idle() {
  return [] { return std::chrono::steady_clock::now() - 1h; };
}

Scenario echo_scenario() {
  Scenario s = scenario("echo");
  s.steps = {call_step("c1", 0)};
  s.expect.calls = {ends_with("c1", status::kOk)};
  return s;
}

TEST(Runner, PlaysAgainARunThatFailedInAStall) {
  FakeDriver driver;
  driver.wrong_answers = 1;  // the first session's stub answers wrong bytes
  RunSettings settings = fast();
  settings.monitor_now = stalling(1s);
  const Scenario s = echo_scenario();
  const ScenarioRun run = Runner(driver, settings).run_one(s);
  EXPECT_EQ(run.verdict, Verdict::pass) << run.reason;
  EXPECT_EQ(driver.opened(), 2);
  ASSERT_EQ(run.retried.size(), 1u);
  EXPECT_EQ(run.retried[0].verdict, Verdict::fail);
  EXPECT_NE(run.retried[0].reason.find("breaks"), std::string::npos) << run.retried[0].reason;
  EXPECT_GE(run.retried[0].stall, 900ms);
  EXPECT_GE(run.stall, 900ms);
}

TEST(Runner, AFailureThatOutlastsItsAttemptsStandsAndSaysTheMachineStalled) {
  FakeDriver driver;
  driver.wrong_answers = 100;  // a runtime that is wrong every time
  RunSettings settings = fast();
  settings.monitor_now = stalling(1s);
  settings.stall_retries = 2;
  const Scenario s = echo_scenario();
  const ScenarioRun run = Runner(driver, settings).run_one(s);
  EXPECT_EQ(run.verdict, Verdict::fail);
  EXPECT_EQ(driver.opened(), 3);
  EXPECT_EQ(run.retried.size(), 2u);
  EXPECT_NE(run.reason.find("the machine stalled for"), std::string::npos) << run.reason;
  EXPECT_NE(run.reason.find("each of the 2 attempts before"), std::string::npos) << run.reason;
  ASSERT_FALSE(run.mismatches.empty());
  EXPECT_EQ(run.mismatches[0].field, "call c1 output");
}

TEST(Runner, AFailureWithoutAStallIsNotPlayedAgain) {
  FakeDriver driver;
  driver.wrong_answers = 100;
  RunSettings settings = fast();
  settings.monitor_now = idle();
  const Scenario s = echo_scenario();
  const ScenarioRun run = Runner(driver, settings).run_one(s);
  EXPECT_EQ(run.verdict, Verdict::fail);
  EXPECT_EQ(driver.opened(), 1);
  EXPECT_TRUE(run.retried.empty());
  EXPECT_EQ(run.reason.find("stalled"), std::string::npos) << run.reason;
}

TEST(Runner, APassInAStallOrNoRetriesAllowedPlaysOnce) {
  FakeDriver driver;
  RunSettings settings = fast();
  settings.monitor_now = stalling(1s);
  const Scenario s = echo_scenario();
  EXPECT_EQ(Runner(driver, settings).run_one(s).verdict, Verdict::pass);
  EXPECT_EQ(driver.opened(), 1);

  driver.wrong_answers = 100;
  settings.stall_retries = 0;
  const ScenarioRun run = Runner(driver, settings).run_one(s);
  EXPECT_EQ(run.verdict, Verdict::fail);
  EXPECT_EQ(driver.opened(), 2);
  EXPECT_TRUE(run.retried.empty());
  EXPECT_NE(run.reason.find("the machine stalled"), std::string::npos) << run.reason;
}

TEST(Runner, TheStallLimitIsHalfTheSmallestToleranceInRealTime) {
  FakeDriver driver;
  RunSettings settings;
  settings.time_scale = 0.5;
  Scenario s = scenario("limits");
  s.tolerance.absolute = 100ms;  // 50 ms of real time at scale 0.5
  EXPECT_EQ(Runner(driver, settings).stall_limit(s), 25ms);
  settings.tolerance_scale = 4;
  EXPECT_EQ(Runner(driver, settings).stall_limit(s), 100ms);
}

TEST(Runner, SeedsReplay) {
  EXPECT_EQ(scenario_seed(7, "a/b", 0), scenario_seed(7, "a/b", 0));
  EXPECT_NE(scenario_seed(7, "a/b", 0), scenario_seed(7, "a/b", 1));
  EXPECT_NE(scenario_seed(7, "a/b", 0), scenario_seed(7, "a/c", 0));
  EXPECT_NE(scenario_seed(7, "a/b", 0), scenario_seed(8, "a/b", 0));
}

}  // namespace
}  // namespace rpcfit::run
