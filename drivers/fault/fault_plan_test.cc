#include "drivers/fault/fault_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "harness/wire/codec.h"

namespace rpcfit::fault {
namespace {

using namespace std::chrono_literals;
using wire::PType;

std::vector<FaultSpec> specs(std::initializer_list<const char*> texts) {
  std::vector<FaultSpec> out;
  for (const char* text : texts) {
    auto r = parse_fault(text);
    if (!r.ok()) throw std::invalid_argument(r.error());
    out.push_back(r.value());
  }
  return out;
}

PduFacts c2s(PType type, std::size_t size = 16) {
  return PduFacts{Direction::client_to_server, type, size, false};
}
PduFacts s2c(PType type, std::size_t size = 16) {
  return PduFacts{Direction::server_to_client, type, size, false};
}

// 'x' where the PDU was dropped, '.' where it passed.
std::string drop_pattern(FaultPlan& plan, int n, PduFacts facts = c2s(PType::request)) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += plan.decide(facts, Duration{0}).drop ? 'x' : '.';
  return out;
}

TEST(FaultPlan, NthCountsPdusOfTheMatchedDirectionAndType) {
  FaultPlan plan(specs({"drop,pdu=request,nth=2,dir=c2s"}), 1);
  EXPECT_FALSE(plan.decide(c2s(PType::request), 0ms).drop);    // 1st c2s request
  EXPECT_FALSE(plan.decide(s2c(PType::request), 0ms).drop);    // other direction: not counted
  EXPECT_FALSE(plan.decide(c2s(PType::co_cancel), 0ms).drop);  // other type: not counted
  EXPECT_TRUE(plan.decide(c2s(PType::request), 0ms).drop);     // 2nd c2s request
  EXPECT_FALSE(plan.decide(c2s(PType::request), 0ms).drop);
  EXPECT_EQ(plan.injected(FaultKind::drop), 1u);
}

TEST(FaultPlan, NthWithoutDirectionCountsBothDirections) {
  FaultPlan plan(specs({"drop,pdu=cl_cancel,nth=2"}), 1);
  EXPECT_FALSE(plan.decide(c2s(PType::cl_cancel), 0ms).drop);
  EXPECT_TRUE(plan.decide(s2c(PType::cl_cancel), 0ms).drop);
  EXPECT_FALSE(plan.decide(c2s(PType::cl_cancel), 0ms).drop);
}

TEST(FaultPlan, ProbabilityGivesAPinnedPatternForASeed) {
  FaultPlan a(specs({"drop,p=0.5"}), 42);
  FaultPlan b(specs({"drop,p=0.5"}), 42);
  const std::string pattern = drop_pattern(a, 40);
  // Pinned once: a change means recorded runs would replay differently.
  EXPECT_EQ(pattern, "..x..x.xxxxxx.xxxxxx....x....x.x.x...x.x");
  EXPECT_EQ(drop_pattern(b, 40), pattern);
  FaultPlan other(specs({"drop,p=0.5"}), 43);
  EXPECT_NE(drop_pattern(other, 40), pattern);
}

TEST(FaultPlan, ProbabilityZeroAndOne) {
  FaultPlan never(specs({"drop,p=0"}), 7);
  FaultPlan always(specs({"drop,p=1"}), 7);
  EXPECT_EQ(drop_pattern(never, 8), "........");
  EXPECT_EQ(drop_pattern(always, 8), "xxxxxxxx");
}

// A mixed sequence of facts, the same every time.
std::vector<PduFacts> traffic(int n) {
  const PType types[] = {PType::request, PType::response, PType::co_cancel, PType::bind};
  std::vector<PduFacts> out;
  for (int i = 0; i < n; ++i) {
    const auto u = static_cast<std::size_t>(i);
    out.push_back(PduFacts{i % 3 == 0 ? Direction::server_to_client : Direction::client_to_server,
                           types[u % 4], 16 + (u * 7) % 100, false});
  }
  return out;
}

std::vector<Action> run(FaultPlan& plan, const std::vector<PduFacts>& facts) {
  std::vector<Action> out;
  Duration now{0};
  for (const auto& f : facts) {
    out.push_back(plan.decide(f, now));
    now += 3ms;
  }
  return out;
}

TEST(FaultPlan, SameSeedSameDecisionsOverAThousandPdus) {
  const auto list =
      specs({"latency,delay=20ms,jitter=10ms,p=0.5", "drop,p=0.1", "duplicate,pdu=request,p=0.3",
             "corrupt,field=call_id,value=9,p=0.2", "bandwidth,bps=100000,dir=s2c"});
  FaultPlan a(list, 2024), b(list, 2024), c(list, 2025);
  const auto facts = traffic(1000);
  const auto first = run(a, facts);
  EXPECT_EQ(run(b, facts), first);
  EXPECT_NE(run(c, facts), first);
  EXPECT_EQ(a.counters(), b.counters());
  EXPECT_GT(a.injected(FaultKind::drop), 50u);
  EXPECT_LT(a.injected(FaultKind::drop), 150u);
}

TEST(FaultPlan, AddingASpecDoesNotShiftTheOthersDecisions) {
  FaultPlan alone(specs({"drop,p=0.3"}), 99);
  FaultPlan with(specs({"latency,delay=10ms,jitter=5ms,p=0.5", "drop,p=0.3", "duplicate,p=0.5"}),
                 99);
  const auto facts = traffic(500);
  const auto a = run(alone, facts);
  const auto b = run(with, facts);
  for (std::size_t i = 0; i < facts.size(); ++i)
    ASSERT_EQ(a[i].drop, b[i].drop) << "PDU " << i;
  EXPECT_GT(with.injected(FaultKind::latency), 0u);
}

TEST(FaultPlan, IdenticalSpecsDrawFromDifferentStreams) {
  FaultPlan one(specs({"drop,p=0.5"}), 5);
  FaultPlan two(specs({"drop,p=0.5", "drop,p=0.5"}), 5);
  const std::string a = drop_pattern(one, 64);
  const std::string b = drop_pattern(two, 64);
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] == 'x') {
      EXPECT_EQ(b[i], 'x') << i;  // the first spec's drops are all still there
    }
  }
  EXPECT_GT(std::count(b.begin(), b.end(), 'x'), std::count(a.begin(), a.end(), 'x'));
}

TEST(FaultPlan, ResetAfterBytesCutsAtTheRightOffsetAcrossPdus) {
  FaultPlan plan(specs({"reset,after=100,dir=c2s"}), 1);
  EXPECT_FALSE(plan.decide(c2s(PType::request, 40), 0ms).reset);
  EXPECT_FALSE(plan.decide(s2c(PType::response, 500), 0ms).reset);  // other direction
  EXPECT_FALSE(plan.decide(c2s(PType::request, 40), 0ms).reset);
  const Action cut = plan.decide(c2s(PType::request, 40), 0ms);
  ASSERT_TRUE(cut.reset);
  EXPECT_EQ(*cut.reset, (ResetAt{20, true}));
  EXPECT_FALSE(plan.decide(c2s(PType::request, 40), 0ms).reset);  // once
  EXPECT_EQ(plan.injected(FaultKind::reset), 1u);
}

TEST(FaultPlan, ResetAfterBytesAtABoundaryCutsRightAfterThatPdu) {
  FaultPlan at_end(specs({"reset,after=80,close"}), 1);
  EXPECT_FALSE(at_end.decide(c2s(PType::request, 40), 0ms).reset);
  EXPECT_EQ(at_end.decide(c2s(PType::request, 40), 0ms).reset, (ResetAt{40, false}));

  FaultPlan at_once(specs({"reset,after=0"}), 1);
  EXPECT_EQ(at_once.decide(s2c(PType::bind_ack, 60), 0ms).reset, (ResetAt{0, true}));
}

TEST(FaultPlan, ResetAtAPduCutsBeforeItOnce) {
  FaultPlan plan(specs({"reset,pdu=co_cancel,close", "drop,pdu=co_cancel"}), 1);
  EXPECT_TRUE(plan.decide(c2s(PType::request), 0ms).untouched());
  const Action a = plan.decide(c2s(PType::co_cancel), 0ms);
  EXPECT_EQ(a.reset, (ResetAt{0, false}));
  EXPECT_FALSE(a.drop);  // the reset supersedes it
  EXPECT_TRUE(plan.decide(c2s(PType::co_cancel), 0ms).drop);
  EXPECT_EQ(plan.describe_counters(), "drop=1 reset=1");
}

TEST(FaultPlan, BlackholeHoldsEverythingAfterInThatDirection) {
  FaultPlan plan(specs({"blackhole,pdu=co_cancel,dir=c2s", "latency,delay=5ms"}), 1);
  EXPECT_EQ(plan.decide(c2s(PType::request), 0ms).delay, 5ms);
  EXPECT_EQ(to_string(plan.decide(c2s(PType::co_cancel), 0ms)), "blackhole");
  EXPECT_TRUE(plan.decide(c2s(PType::request), 0ms).blackhole);
  EXPECT_TRUE(plan.decide(c2s(PType::orphaned), 0ms).blackhole);
  const Action back = plan.decide(s2c(PType::response), 0ms);
  EXPECT_FALSE(back.blackhole);
  EXPECT_EQ(back.delay, 5ms);
  EXPECT_EQ(plan.injected(FaultKind::blackhole), 3u);
  EXPECT_EQ(plan.injected(FaultKind::latency), 2u);
}

TEST(FaultPlan, BandwidthDelaysGrowWithTheBacklogAndDrainWhenIdle) {
  FaultPlan plan(specs({"bandwidth,bps=1000"}), 1);
  EXPECT_EQ(plan.decide(c2s(PType::request, 100), 0ms).delay, 100ms);
  EXPECT_EQ(plan.decide(c2s(PType::request, 100), 0ms).delay, 200ms);
  EXPECT_EQ(plan.decide(c2s(PType::request, 100), 50ms).delay, 250ms);  // slot ends at 300ms
  EXPECT_EQ(plan.decide(s2c(PType::response, 10), 50ms).delay, 10ms);   // own link per direction
  EXPECT_EQ(plan.decide(c2s(PType::request, 100), 1s).delay, 100ms);    // idle: backlog gone
  EXPECT_EQ(plan.injected(FaultKind::bandwidth), 5u);
}

TEST(FaultPlan, BandwidthPacesTheBytesThatLeave) {
  FaultPlan plan(specs({"bandwidth,bps=1000", "truncate,keep=50", "duplicate,pdu=bind"}), 1);
  EXPECT_EQ(plan.decide(c2s(PType::request, 100), 0ms).delay, 50ms);  // truncated to 50
  EXPECT_EQ(plan.decide(c2s(PType::bind, 100), 1s).delay, 100ms);     // two copies of 50
  FaultPlan slow(specs({"bandwidth,bps=3"}), 1);
  EXPECT_EQ(slow.decide(c2s(PType::request, 1), 0ms).delay, Duration{333'333'334});  // rounded up
}

TEST(FaultPlan, LatencyWithJitterStaysInRangeAndVaries) {
  FaultPlan plan(specs({"latency,delay=200ms,jitter=50ms"}), 8);
  Duration lo = 1h, hi{0};
  for (int i = 0; i < 1000; ++i) {
    const Duration d = plan.decide(c2s(PType::request), 0ms).delay;
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_GE(lo, 150ms);
  EXPECT_LE(hi, 250ms);
  EXPECT_LT(lo, 155ms);
  EXPECT_GT(hi, 245ms);
  FaultPlan two(specs({"latency,delay=20ms", "latency,delay=30ms,dir=c2s"}), 8);
  EXPECT_EQ(two.decide(c2s(PType::request), 0ms).delay, 50ms);
  EXPECT_EQ(two.decide(s2c(PType::request), 0ms).delay, 20ms);
  EXPECT_EQ(two.injected(FaultKind::latency), 2u);  // per PDU, not per spec
}

TEST(FaultPlan, KindsCombineOnOnePdu) {
  FaultPlan plan(specs({"duplicate", "reorder,dir=s2c", "truncate,keep=20", "truncate,keep=30",
                        "corrupt,field=call_id,value=7", "corrupt,field=seqnum,value=1",
                        "slice,segment=4,gap=1ms", "slice,segment=8,gap=3ms"}),
                 1);
  const Action a = plan.decide(s2c(PType::response, 100), 0ms);
  EXPECT_EQ(a.copies, 2u);
  EXPECT_TRUE(a.hold);
  EXPECT_EQ(a.truncate_to, 20u);
  // seqnum is a CL field: not in a CO header, so not injected.
  EXPECT_EQ(a.corruptions, (std::vector<Corruption>{{"call_id", 7}}));
  EXPECT_EQ(a.slice, (Slicing{4, 3ms}));
  EXPECT_EQ(to_string(a), "corrupt=call_id:7 truncate_to=20 hold copies=2 slice=4/3ms");

  const Action small = plan.decide(c2s(PType::request, 20), 0ms);
  EXPECT_FALSE(small.truncate_to);  // not longer than keep
  EXPECT_FALSE(small.hold);
  EXPECT_EQ(plan.describe_counters(), "duplicate=2 reorder=1 truncate=1 corrupt=2 slice=2");

  const Action cl =
      plan.decide(PduFacts{Direction::client_to_server, PType::cl_cancel, 88, true}, 0ms);
  EXPECT_EQ(cl.corruptions, (std::vector<Corruption>{{"seqnum", 1}}));
}

TEST(FaultPlan, DropSupersedesTheRestAndCountsAlone) {
  FaultPlan plan(specs({"duplicate", "latency,delay=1ms", "drop"}), 1);
  const Action a = plan.decide(c2s(PType::request), 0ms);
  EXPECT_EQ(to_string(a), "drop");
  EXPECT_EQ(a, (Action{false, true, 1, Duration{0}, false, {}, {}, {}, {}}));
  EXPECT_EQ(plan.describe_counters(), "drop=1");
}

TEST(FaultPlan, CountersDescribeAndFacts) {
  FaultPlan plan(specs({"drop,pdu=co_cancel", "latency,delay=1ms,dir=s2c"}), 77);
  EXPECT_EQ(plan.describe_counters(), "none");
  EXPECT_EQ(plan.describe(), "seed=77 faults=drop,pdu=co_cancel; latency,delay=1ms,dir=s2c");
  EXPECT_EQ(FaultPlan({}, 3).describe(), "seed=3 faults=none");
  EXPECT_EQ(plan.seed(), 77u);
  EXPECT_TRUE(plan.uses(FaultKind::drop));
  EXPECT_FALSE(plan.uses(FaultKind::reorder));
  plan.decide(c2s(PType::co_cancel), 0ms);
  plan.decide(s2c(PType::response), 0ms);
  plan.decide(s2c(PType::response), 0ms);
  auto counters = plan.counters();
  EXPECT_EQ(counters.size(), kFaultKindCount);
  EXPECT_EQ(counters["drop"], 1u);
  EXPECT_EQ(counters["latency"], 2u);
  EXPECT_EQ(counters["blackhole"], 0u);
  EXPECT_EQ(plan.describe_counters(), "latency=2 drop=1");
}

TEST(FaultPlan, FactsFromPduBytes) {
  wire::CoPdu co;
  co.type = PType::co_cancel;
  const Bytes co_bytes = wire::encode(co);
  EXPECT_EQ(facts_of(Direction::client_to_server, co_bytes),
            (PduFacts{Direction::client_to_server, PType::co_cancel, 16, false}));
  wire::ClPdu cl;
  cl.type = PType::cl_cancel;
  cl.body = wire::ClCancel{};
  const Bytes cl_bytes = wire::encode(cl);
  EXPECT_EQ(facts_of(Direction::server_to_client, cl_bytes),
            (PduFacts{Direction::server_to_client, PType::cl_cancel, 88, true}));
  EXPECT_FALSE(facts_of(Direction::client_to_server, ByteView(co_bytes).first(15)));
  EXPECT_FALSE(facts_of(Direction::client_to_server, Bytes(100, 6)));
}

TEST(FaultPlan, RefusesAnInvalidSpec) {
  FaultSpec bad;
  bad.kind = FaultKind::slice;  // segment 0
  EXPECT_THROW(FaultPlan({bad}, 1), std::invalid_argument);
}

TEST(FaultPlan, DecideIsSafeFromSeveralThreads) {
  FaultPlan plan(specs({"drop,p=0.5", "duplicate"}), 1);
  auto work = [&plan] {
    for (int i = 0; i < 2000; ++i)
      plan.decide(c2s(PType::request), 0ms);
  };
  std::thread t1(work), t2(work);
  t1.join();
  t2.join();
  EXPECT_EQ(plan.injected(FaultKind::drop) + plan.injected(FaultKind::duplicate), 4000u);
}

}  // namespace
}  // namespace rpcfit::fault
