// The in-process driver end to end: sessions opened from hand-made scenarios, driven as the
// runner drives them (client threads that register and call, cancels from the test's thread),
// and what they report: call outcomes, the client's wire, the server's calls, faults, shutdown.
// Waits are on the session's observations with generous real-time bounds; the clock runs scenario
// time ten times faster.
#include "drivers/inproc/inproc_driver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "drivers/inproc/inproc_session.h"
#include "drivers/inproc/wire_test_util.h"
#include "drivers/runtime/rpc.h"
#include "drivers/runtime/runtime_test_util.h"
#include "harness/fault/fault_spec.h"
#include "harness/wire/codec.h"

namespace rpcfit::inproc {
namespace {

using rpc::testing::kPatience;
using server::BehaviourKind;
using server::EventKind;

constexpr double kScale = 0.1;
constexpr std::uint32_t kAllAccess = rpc::access::kThreadAllAccess;

run::Scenario scenario_on(const std::string& protseq, BehaviourKind kind,
                          const std::vector<std::uint16_t>& opnums = {1}) {
  run::Scenario scenario;
  scenario.id = "inproc/test";
  scenario.protseq = protseq;
  scenario.server.behaviour.kind = kind;
  for (const auto opnum : opnums) {
    run::Step step;
    step.kind = run::StepKind::call;
    step.opnum = opnum;
    scenario.steps.push_back(step);
  }
  return scenario;
}

void add_fault(run::Scenario& scenario, const std::string& text) {
  auto spec = fault::parse_fault(text);
  ASSERT_TRUE(spec) << spec.error();
  scenario.faults.push_back(run::FaultEntry{*spec, text, run::SourceLoc{"test.yaml", 3, 5}});
}

using testing::has;
using testing::sequence;

std::function<bool(const std::vector<run::WirePdu>&)> sent(const std::string& type) {
  return
      [type](const std::vector<run::WirePdu>& pdus) { return has(sequence(pdus), "out " + type); };
}

bool has_event(const run::ServerCallRecord& call, EventKind kind) {
  return std::any_of(call.events.begin(), call.events.end(),
                     [&](const server::BehaviourEvent& e) { return e.kind == kind; });
}

// A session on its own run directory and clock.
class Session {
 public:
  // `shared_clock`: a clock that must outlive the session (for a call that runs on after it).
  explicit Session(run::Scenario scenario, CaptureSink* capture = nullptr,
                   std::shared_ptr<RealClock> shared_clock = std::make_shared<RealClock>(kScale),
                   std::uint64_t seed = 42)
      : clock_owner(std::move(shared_clock)), scenario_(std::move(scenario)) {
    run::SessionSetup setup;
    setup.scenario = &scenario_;
    setup.clock = &clock;
    setup.run_dir = dir_;
    setup.seed = seed;
    setup.capture = capture;
    auto opened = driver_.open(setup);
    if (!opened) {
      ADD_FAILURE() << "open: " << opened.error().reason;
      return;
    }
    session = std::move(*opened);
  }
  ~Session() {
    session.reset();
    rpc::testing::remove_run_dir(dir_);
  }
  InprocSession& inproc() { return dynamic_cast<InprocSession&>(*session); }
  bool wait_wire(const std::function<bool(const std::vector<run::WirePdu>&)>& done) {
    return inproc().wait_wire(done, kPatience);
  }
  bool wait_calls(const std::function<bool(const std::vector<run::ServerCallRecord>&)>& done) {
    return inproc().wait_server_calls(done, kPatience);
  }
  // Cancels the thread's call from this thread, as a timeline step does.
  RpcStatus cancel(std::uint32_t thread, long timeout) {
    const auto handle = session->open_thread(kAllAccess, thread);
    EXPECT_NE(handle, 0u);
    const auto result = session->cancel_thread_ex(handle, timeout);
    EXPECT_TRUE(session->close_handle(handle));
    return result;
  }

  std::shared_ptr<RealClock> clock_owner;
  RealClock& clock = *clock_owner;
  std::unique_ptr<run::DriverSession> session;

 private:
  run::Scenario scenario_;
  std::string dir_ = rpc::testing::make_run_dir();
  InprocDriver driver_;
};

// A client thread of the scenario: registers, then makes `calls` synchronous calls one by one.
class ClientThread {
 public:
  ClientThread(run::DriverSession& session, std::vector<std::uint16_t> opnums, Bytes input = {}) {
    std::promise<std::uint32_t> id;
    auto id_future = id.get_future();
    std::promise<std::vector<run::CallOutcome>> outcomes;
    outcomes_ = outcomes.get_future();
    thread_ = std::thread([&session, opnums = std::move(opnums), input = std::move(input),
                           id = std::move(id), outcomes = std::move(outcomes)]() mutable {
      id.set_value(session.register_thread());
      std::vector<run::CallOutcome> ended;
      for (const auto opnum : opnums)
        ended.push_back(session.call(opnum, input));
      outcomes.set_value(std::move(ended));
    });
    id_ = id_future.get();
  }
  ~ClientThread() {
    if (thread_.joinable()) thread_.join();
  }
  std::uint32_t id() const { return id_; }
  std::vector<run::CallOutcome> finish() {
    if (outcomes_.wait_for(kPatience) != std::future_status::ready) {
      ADD_FAILURE() << "the client thread's calls did not end";
      std::abort();  // a hung thread cannot be joined
    }
    thread_.join();
    return outcomes_.get();
  }
  run::CallOutcome finish_one() { return finish().at(0); }

 private:
  std::thread thread_;
  std::uint32_t id_ = 0;
  std::future<std::vector<run::CallOutcome>> outcomes_;
};

class EachProtseq : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(Inproc, EachProtseq, ::testing::Values("ncacn_ip_tcp", "ncadg_ip_udp"));

TEST(InprocDriver, NameIsInproc) {
  EXPECT_EQ(InprocDriver().name(), "inproc");
}

TEST_P(EachProtseq, NormalCallReturnsAndTheWireShowsIt) {
  rpc::testing::MemoryCapture pcap(default_clock());  // stands in for the run's pcap writer
  Session s(scenario_on(GetParam(), BehaviourKind::normal, {0}), &pcap);
  ASSERT_TRUE(s.session);
  const Duration before = s.clock.now();
  auto outcome = ClientThread(*s.session, {0}, Bytes(16, 0xAB)).finish_one();
  EXPECT_TRUE(outcome.returned) << outcome.detail;
  EXPECT_EQ(outcome.status, status::kOk);
  EXPECT_EQ(outcome.output.size(), 16u);

  ASSERT_TRUE(s.wait_wire([](const auto& pdus) { return has(sequence(pdus), "in response"); }));
  const auto pdus = s.session->wire();
  const auto seen = sequence(pdus);
  if (GetParam() == "ncacn_ip_tcp") {
    ASSERT_GE(seen.size(), 4u);
    EXPECT_EQ(std::vector<std::string>(seen.begin(), seen.begin() + 4),
              (std::vector<std::string>{"out bind", "in bind_ack", "out request", "in response"}));
    EXPECT_EQ(pdus.front().transport, TransportKind::tcp);
  } else {
    ASSERT_GE(seen.size(), 2u);
    EXPECT_EQ(seen[0], "out request");
    EXPECT_TRUE(has(seen, "in response"));
    EXPECT_EQ(pdus.front().transport, TransportKind::udp);
  }
  for (std::size_t i = 0; i < pdus.size(); ++i) {
    EXPECT_GE(pdus[i].at, before);
    EXPECT_LE(pdus[i].at, s.clock.now());
    if (i > 0) {
      EXPECT_GE(pdus[i].at, pdus[i - 1].at);
    }
  }
  // Forwarded unchanged to the run's sink.
  EXPECT_EQ(pcap.count("request"), 1u);

  ASSERT_TRUE(s.wait_calls([](const auto& calls) { return calls.size() == 1 && calls[0].result; }));
  const auto calls = s.session->server_calls();
  EXPECT_EQ(calls[0].opnum, 0);
  EXPECT_TRUE(has_event(calls[0], EventKind::started));
  EXPECT_TRUE(has_event(calls[0], EventKind::finished));
  EXPECT_EQ(*calls[0].result, run::ServerResult::response);
  EXPECT_EQ(s.session->faults_injected(), "");
  EXPECT_EQ(s.session->shutdown(seconds(5)), "");
}

TEST(InprocDriver, NormalCallOnNcalrpc) {
  Session s(scenario_on("ncalrpc", BehaviourKind::normal, {0}));
  ASSERT_TRUE(s.session);
  auto outcome = ClientThread(*s.session, {0}, Bytes(8, 1)).finish_one();
  EXPECT_TRUE(outcome.returned) << outcome.detail;
  EXPECT_EQ(outcome.output.size(), 8u);
  const auto seen = sequence(s.session->wire());
  ASSERT_GE(seen.size(), 4u);
  EXPECT_EQ(seen[0], "out bind");
  EXPECT_EQ(seen[1], "in bind_ack");
  EXPECT_EQ(seen[2], "out request");
  EXPECT_EQ(seen[3], "in response");
}

TEST_P(EachProtseq, HungServerCancelledAtOnceOrphansTheCall) {
  Session s(scenario_on(GetParam(), BehaviourKind::hung));
  ASSERT_TRUE(s.session);
  ClientThread client(*s.session, {1}, Bytes(4, 0));
  ASSERT_TRUE(s.wait_wire(sent("request")));
  ASSERT_TRUE(s.wait_calls([](const auto& calls) {
    return calls.size() == 1 && has_event(calls[0], EventKind::started);
  }));
  EXPECT_EQ(s.cancel(client.id(), 0), status::kOk);
  auto outcome = client.finish_one();
  EXPECT_FALSE(outcome.returned);
  EXPECT_EQ(outcome.status, status::kCallCancelled) << outcome.detail;
  EXPECT_FALSE(outcome.detail.empty());

  auto calls = s.session->server_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].opnum, 1);
  EXPECT_TRUE(has_event(calls[0], EventKind::started));
  EXPECT_FALSE(has_event(calls[0], EventKind::finished));  // the routine runs on (CS-STUB-1)
  EXPECT_FALSE(calls[0].result);

  // Stopping ends the routine; nobody waits for its result any more.
  EXPECT_EQ(s.session->shutdown(seconds(20)), "");
  calls = s.session->server_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_TRUE(has_event(calls[0], EventKind::finished));
  if (GetParam() == "ncacn_ip_tcp") {
    ASSERT_TRUE(calls[0].result);
    EXPECT_EQ(*calls[0].result, run::ServerResult::discarded);
    EXPECT_TRUE(has_event(calls[0], EventKind::result_discarded));
  }
}

TEST_P(EachProtseq, CancelAwareRoutineRaisesTheCancel) {
  Session s(scenario_on(GetParam(), BehaviourKind::cancel_aware));
  ASSERT_TRUE(s.session);
  ClientThread client(*s.session, {1});
  ASSERT_TRUE(s.wait_calls([](const auto& calls) {
    return calls.size() == 1 && has_event(calls[0], EventKind::polled);
  }));
  EXPECT_EQ(s.cancel(client.id(), 30), status::kOk);  // time enough for the fault to come back
  auto outcome = client.finish_one();
  EXPECT_EQ(outcome.status, status::kCallCancelled) << outcome.detail;

  ASSERT_TRUE(s.wait_calls([](const auto& calls) { return calls.size() == 1 && calls[0].result; }));
  const auto call = s.session->server_calls()[0];
  EXPECT_TRUE(has_event(call, EventKind::saw_cancel));
  const auto finished = std::find_if(call.events.begin(), call.events.end(),
                                     [](const auto& e) { return e.kind == EventKind::finished; });
  ASSERT_NE(finished, call.events.end());
  EXPECT_EQ(finished->status, status::kCallCancelled);
  EXPECT_EQ(*call.result, run::ServerResult::fault);
  EXPECT_EQ(call.fault_status, nca::kFaultCancel);
}

TEST(InprocDriver, DenyingServerRaisesAccessDenied) {
  Session s(scenario_on("ncacn_ip_tcp", BehaviourKind::deny));
  ASSERT_TRUE(s.session);
  auto outcome = ClientThread(*s.session, {1}).finish_one();
  EXPECT_FALSE(outcome.returned);
  EXPECT_EQ(outcome.status, status::kAccessDenied);
  ASSERT_TRUE(s.wait_calls([](const auto& calls) { return calls.size() == 1 && calls[0].result; }));
  const auto call = s.session->server_calls()[0];
  EXPECT_EQ(*call.result, run::ServerResult::fault);
  EXPECT_EQ(call.fault_status, nca::kAccessDenied);
}

TEST(InprocDriver, LatencyOnAStreamIsCounted) {
  auto scenario = scenario_on("ncacn_ip_tcp", BehaviourKind::normal, {0});
  add_fault(scenario, "latency,delay=20ms,dir=c2s");
  Session s(scenario);
  ASSERT_TRUE(s.session);
  EXPECT_EQ(s.session->faults_injected(), "");
  EXPECT_TRUE(ClientThread(*s.session, {0}).finish_one().returned);
  EXPECT_NE(s.session->faults_injected().find("latency="), std::string::npos)
      << s.session->faults_injected();
  EXPECT_EQ(s.session->fault_seed(), 42u);
}

// A fault on what the server sends is applied as the server sends it, so that the client's wire
// shows a delayed response when it arrived, and no response the fault swallowed.
TEST(InprocDriver, ServerToClientStreamFaultsApplyBeforeTheClientSeesThePdu) {
  auto scenario = scenario_on("ncacn_ip_tcp", BehaviourKind::normal, {0});
  add_fault(scenario, "latency,delay=3s,dir=s2c,pdu=response");  // 300 ms real at scale 0.1
  Session s(scenario);
  ASSERT_TRUE(s.session);
  const Duration start = s.clock.now();
  EXPECT_TRUE(ClientThread(*s.session, {0}).finish_one().returned);
  EXPECT_EQ(s.session->faults_injected(), "latency=1");
  const auto wire = s.session->wire();
  ASSERT_FALSE(wire.empty());
  EXPECT_FALSE(wire.back().out);
  EXPECT_GE(wire.back().at - start, std::chrono::seconds(3)) << "teed when it arrived";

  auto lost = scenario_on("ncacn_ip_tcp", BehaviourKind::normal, {0});
  add_fault(lost, "blackhole,dir=s2c,pdu=response");
  lost.client.cancel_timeout = 0;
  Session t(lost);
  ASSERT_TRUE(t.session);
  ClientThread caller(*t.session, {0});
  ASSERT_TRUE(t.wait_wire(sent("request")));
  EXPECT_EQ(t.cancel(caller.id(), 0), status::kOk);
  EXPECT_EQ(caller.finish_one().status, status::kCallCancelled);
  EXPECT_EQ(sequence(t.session->wire()),
            (std::vector<std::string>{"out bind", "in bind_ack", "out request", "out co_cancel",
                                      "out orphaned"}))
      << "the swallowed response is not on the client's wire";
}

TEST(InprocDriver, DroppedDatagramRequestIsRetransmittedAndCounted) {
  auto scenario = scenario_on("ncadg_ip_udp", BehaviourKind::normal, {0});
  add_fault(scenario, "drop,pdu=request,nth=1");
  scenario.client.dg_retransmit = std::chrono::milliseconds(200);
  Session s(scenario);
  ASSERT_TRUE(s.session);
  auto outcome = ClientThread(*s.session, {0}, Bytes(4, 2)).finish_one();
  EXPECT_TRUE(outcome.returned) << outcome.detail;
  EXPECT_EQ(s.session->faults_injected(), "drop=1");
  // The capture sits under the decorator: it shows what left, the retransmission.
  const auto seen = sequence(s.session->wire());
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "out request"), 1);
}

// The scenario's seed decides the client's activity UUIDs, so a replay puts the same bytes on
// the wire.
TEST(InprocDriver, DatagramActivitiesFollowTheSeed) {
  auto activity_with = [](std::uint64_t seed) {
    Session s(scenario_on("ncadg_ip_udp", BehaviourKind::normal, {0}), nullptr,
              std::make_shared<RealClock>(kScale), seed);
    if (!s.session) return std::string("no session");
    auto outcome = ClientThread(*s.session, {0}).finish_one();
    EXPECT_TRUE(outcome.returned) << outcome.detail;
    for (const auto& pdu : s.session->wire()) {
      auto cl = wire::decode_cl(pdu.bytes);
      if (pdu.out && cl && cl->type == wire::PType::request) return cl->activity.to_string();
    }
    return std::string("no request");
  };
  const std::string first = activity_with(5);
  EXPECT_EQ(first.size(), 36u) << first;
  EXPECT_EQ(activity_with(5), first);
  EXPECT_NE(activity_with(6), first);
}

// The plan decides a datagram where it is sent, so an s2c fault needs the server's sockets
// decorated too: a lost response that the client recovers from.
TEST(InprocDriver, ServerToClientDatagramFaultsApply) {
  auto scenario = scenario_on("ncadg_ip_udp", BehaviourKind::normal, {0});
  add_fault(scenario, "drop,pdu=response,dir=s2c,nth=1");
  Session s(scenario);
  ASSERT_TRUE(s.session);
  auto outcome = ClientThread(*s.session, {0}).finish_one();
  EXPECT_TRUE(outcome.returned) << outcome.detail;
  EXPECT_EQ(s.session->faults_injected(), "drop=1");
}

TEST(InprocDriver, FaultsTheTransportCannotApplyAreRefused) {
  struct Case {
    const char* protseq;
    const char* fault;
  };
  for (const auto& c : {Case{"ncacn_ip_tcp", "reorder,dir=c2s"}, Case{"ncadg_ip_udp", "reset"},
                        Case{"ncadg_ip_udp", "slice,segment=4"}}) {
    auto scenario = scenario_on(c.protseq, BehaviourKind::normal);
    add_fault(scenario, c.fault);
    RealClock clock(kScale);
    const std::string dir = rpc::testing::make_run_dir();
    run::SessionSetup setup{&scenario, &clock, dir, 1, nullptr};
    auto opened = InprocDriver().open(setup);
    ASSERT_FALSE(opened) << c.fault;
    EXPECT_FALSE(opened.error().skip);
    EXPECT_NE(opened.error().reason.find(c.fault), std::string::npos) << opened.error().reason;
    EXPECT_NE(opened.error().reason.find("test.yaml:3:5"), std::string::npos);
    rpc::testing::remove_run_dir(dir);
  }
}

TEST(InprocDriver, UnknownProtseqIsASkip) {
  auto scenario = scenario_on("ncacn_at_dsp", BehaviourKind::normal);
  RealClock clock(kScale);
  run::SessionSetup setup{&scenario, &clock, "/tmp", 1, nullptr};
  auto opened = InprocDriver().open(setup);
  ASSERT_FALSE(opened);
  EXPECT_TRUE(opened.error().skip);
}

TEST_P(EachProtseq, AbortiveAsyncCancelCompletesTheCall) {
  Session s(scenario_on(GetParam(), BehaviourKind::hung));
  ASSERT_TRUE(s.session);
  std::promise<run::CallOutcome> done;
  auto ended = done.get_future();
  ASSERT_EQ(s.session->begin_async(7, 1, Bytes(4, 0),
                                   [&done](const run::CallOutcome& o) { done.set_value(o); }),
            status::kOk);
  ASSERT_TRUE(s.wait_wire(sent("request")));
  EXPECT_EQ(s.session->cancel_async(7, true), status::kOk);
  ASSERT_EQ(ended.wait_for(kPatience), std::future_status::ready);
  const auto outcome = ended.get();
  EXPECT_FALSE(outcome.returned);
  EXPECT_EQ(outcome.status, status::kCallCancelled);
  EXPECT_EQ(s.session->cancel_async(7, true), status::kInvalidAsyncHandle);  // CS-AS-3
  EXPECT_EQ(s.session->cancel_async(8, true), status::kInvalidAsyncHandle);
  EXPECT_EQ(s.session->shutdown(seconds(20)), "");
}

class ShutdownEach : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(Inproc, ShutdownEach,
                         ::testing::Values("ncacn_ip_tcp", "ncadg_ip_udp", "ncalrpc", "ncacn_np"));

TEST_P(ShutdownEach, ShutdownEndsCallsStuckOnAHungServer) {
  Session s(scenario_on(GetParam(), BehaviourKind::hung));
  ASSERT_TRUE(s.session);
  ClientThread client(*s.session, {1});  // infinite cancel timeout: only shutdown ends it
  // Async calls are cancelled on every sequence (async.h).
  std::promise<run::CallOutcome> done;
  auto ended = done.get_future();
  ASSERT_EQ(
      s.session->begin_async(1, 1, {}, [&done](const run::CallOutcome& o) { done.set_value(o); }),
      status::kOk);
  ASSERT_TRUE(s.wait_calls([](const auto& calls) { return calls.size() == 2; }));

  EXPECT_EQ(s.session->shutdown(seconds(20)), "");
  const auto outcome = client.finish_one();
  if (GetParam() != "ncalrpc") {
    EXPECT_EQ(outcome.status, status::kCallCancelled) << outcome.detail;
  }  // else it cannot be cancelled: the server stopping ended it, maybe with the routine's reply
  ASSERT_EQ(ended.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_EQ(ended.get().status, status::kCallCancelled);
  EXPECT_EQ(s.session->shutdown(seconds(20)), "");  // idempotent
  // The session takes no more calls.
  EXPECT_EQ(s.session->call(0, {}).status, status::kInvalidBinding);
  EXPECT_EQ(s.session->begin_async(2, 1, {}, [](const run::CallOutcome&) {}),
            status::kInvalidBinding);
}

// A call nothing ends: a legacy client refuses cancels, and a datagram call whose requests
// never leave waits for its comm timeout. shutdown() says so; the session may go while the call
// runs on in what it holds, and the call ends later by itself.
TEST(InprocDriver, ShutdownReportsACallItCannotEnd) {
  auto scenario = scenario_on("ncadg_ip_udp", BehaviourKind::normal);
  scenario.client.legacy_platform = true;
  scenario.client.dg_comm_timeout = seconds(50);  // 5 s real
  add_fault(scenario, "blackhole,dir=c2s");
  auto clock = std::make_shared<RealClock>(kScale);
  auto s = std::make_unique<Session>(scenario, nullptr, clock);
  ASSERT_TRUE(s->session);
  s->inproc().set_end_patience(std::chrono::milliseconds(500));
  ClientThread client(*s->session, {1});
  ASSERT_TRUE(s->inproc().wait_sync_calls(1, kPatience));
  const auto report = s->session->shutdown(seconds(20));
  EXPECT_EQ(report, "1 call still running on ncadg_ip_udp: opnum 1 on thread " +
                        std::to_string(client.id()));
  EXPECT_EQ(s->session->shutdown(seconds(20)), report);
  s.reset();
  const auto outcome = client.finish_one();
  EXPECT_EQ(outcome.status, status::kCommFailure) << outcome.detail;
}

TEST(InprocDriver, SequentialCallsAreRecordedInOrder) {
  Session s(scenario_on("ncacn_ip_tcp", BehaviourKind::normal, {0, 0}));
  ASSERT_TRUE(s.session);
  const auto outcomes = ClientThread(*s.session, {0, 0}).finish();
  EXPECT_TRUE(outcomes.at(0).returned);
  EXPECT_TRUE(outcomes.at(1).returned);
  ASSERT_TRUE(s.wait_calls(
      [](const auto& calls) { return calls.size() == 2 && calls[0].result && calls[1].result; }));
  const auto calls = s.session->server_calls();
  EXPECT_LT(calls[0].call_id, calls[1].call_id);
  ASSERT_FALSE(calls[0].events.empty());
  ASSERT_FALSE(calls[1].events.empty());
  EXPECT_LE(calls[0].events.back().at, calls[1].events.front().at);
  EXPECT_EQ(*calls[0].result, run::ServerResult::response);
  EXPECT_EQ(*calls[1].result, run::ServerResult::response);
}

TEST(InprocDriver, ByOpnumPicksTheRoutine) {
  auto scenario = scenario_on("ncacn_ip_tcp", BehaviourKind::normal, {0});
  scenario.server.by_opnum[3].kind = BehaviourKind::deny;
  Session s(scenario);
  ASSERT_TRUE(s.session);
  const auto outcomes = ClientThread(*s.session, {0, 3, 5}).finish();
  EXPECT_TRUE(outcomes.at(0).returned);
  EXPECT_EQ(outcomes.at(1).status, status::kAccessDenied);
  // Neither called by a step nor given a behaviour: not served.
  EXPECT_EQ(outcomes.at(2).status, status::kProcnumOutOfRange);
  ASSERT_TRUE(s.wait_calls(
      [](const auto& calls) { return calls.size() == 2 && calls[0].result && calls[1].result; }));
  const auto calls = s.session->server_calls();
  EXPECT_EQ(calls[0].opnum, 0);
  EXPECT_EQ(*calls[0].result, run::ServerResult::response);
  EXPECT_EQ(calls[1].opnum, 3);
  EXPECT_EQ(*calls[1].result, run::ServerResult::fault);
  EXPECT_EQ(calls[1].fault_status, nca::kAccessDenied);
}

TEST(InprocDriver, DestroyingTheSessionEndsWhatRuns) {
  auto s = std::make_unique<Session>(scenario_on("ncacn_ip_tcp", BehaviourKind::hung));
  ASSERT_TRUE(s->session);
  ClientThread client(*s->session, {1});
  std::promise<run::CallOutcome> done;
  ASSERT_EQ(
      s->session->begin_async(1, 1, {}, [&done](const run::CallOutcome& o) { done.set_value(o); }),
      status::kOk);
  ASSERT_TRUE(s->wait_calls([](const auto& calls) { return calls.size() == 2; }));
  s.reset();  // no shutdown(): the destructor does it
  EXPECT_FALSE(client.finish_one().returned);
  EXPECT_EQ(done.get_future().get().status, status::kCallCancelled);
}

}  // namespace
}  // namespace rpcfit::inproc
