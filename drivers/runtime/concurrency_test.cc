// The runtime under concurrency, on real sockets: many client threads on one association and on
// many, cancels racing calls and their completion (CS-NEV-2, CS-IDLE-1, CS-RES-3), zero-timeout
// orphaning from several threads at once (CS-TMO-3), and a server stop with calls in flight
// (CS-NEV-1). Threads meet on events with kPatience deadlines; nothing sleeps to synchronise.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <future>
#include <latch>
#include <map>
#include <random>
#include <thread>

#include "drivers/runtime/runtime_test_util.h"

namespace rpcfit::rpc {
namespace {

using std::chrono::milliseconds;
using testing::CallThread;
using testing::kPatience;
using testing::Outcome;
using testing::Pair;
using transport::Protseq;

using testing::kLate;
constexpr std::uint32_t kForever = 600'000;  // a routine wait (ms, scenario) no test outlives
constexpr std::uint32_t kNoTag = 0xFFFFFFFF;
constexpr long kInfinite = kCancelInfiniteTimeout;

// A call's input: the routine's wait (NDR uint32, as milliseconds_input), a tag naming the call,
// and `extra` bytes derived from the tag. The test routines read only the first four bytes and
// return the whole input, so a reply shows whose call it answers.
Bytes tagged_input(std::uint32_t wait_ms, std::uint32_t tag, std::size_t extra = 0) {
  ByteWriter out(ByteOrder::little);
  out.bytes(milliseconds_input(wait_ms));
  out.u32(tag);
  for (std::size_t i = 0; i < extra; ++i)
    out.u8(static_cast<std::uint8_t>(tag * 7 + i));
  return out.take();
}

std::uint32_t tag_of(ByteView input) {
  return input.size() >= 8 ? load_le32(input.data() + 4) : kNoTag;
}

std::uint32_t tag(std::size_t thread, std::size_t call) {
  return static_cast<std::uint32_t>(thread * 1000 + call);
}

// Where client threads, cancellers and the server's routines meet: marks made per call tag.
class Board {
 public:
  enum Mark : std::uint8_t { kAnnounced, kStarted, kRoutineEnded, kCallEnded, kPosted, kMarks };

  void mark(Mark m, std::uint32_t t) {
    {
      std::lock_guard lock(mu_);
      ++marks_[m][t];
    }
    cv_.notify_all();
  }
  // Waits until one of `any` was marked for `t`; false after kPatience.
  bool wait(std::uint32_t t, std::initializer_list<Mark> any) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kPatience, [&] {
      return std::any_of(any.begin(), any.end(), [&](Mark m) { return marks_[m].count(t) > 0; });
    });
  }
  // The most times one call's routine was started (CS-NEV-2: never more than once).
  int most_starts() const {
    std::lock_guard lock(mu_);
    int most = 0;
    for (const auto& entry : marks_[kStarted])
      most = std::max(most, entry.second);
    return most;
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::array<std::map<std::uint32_t, int>, kMarks> marks_;
};

// The test interface with every routine reporting to `board` when it starts and ends.
InterfaceRegistration reporting_interface(Board& board) {
  auto reg = test_interface();
  for (auto& entry : reg.routines) {
    entry.second = [&board, inner = entry.second](ServerCall& call, ByteView input) {
      auto t = tag_of(input);
      board.mark(Board::kStarted, t);
      try {
        auto output = inner(call, input);
        board.mark(Board::kRoutineEnded, t);
        return output;
      } catch (...) {
        board.mark(Board::kRoutineEnded, t);
        throw;
      }
    };
  }
  return reg;
}

// A Pair on ncacn_ip_tcp whose routines report to a board (declared first: it outlives them).
struct Rig {
  Rig() { p.server->register_interface(reporting_interface(board)); }
  Board board;
  Pair p{Protseq::ncacn_ip_tcp};
};

struct Made {
  std::uint32_t tag = kNoTag;
  Bytes input;
  Outcome outcome;
};
struct ThreadResult {
  std::vector<Made> calls;
  std::size_t opened = 0;  // connections the thread's own binding opened
};

Made make_call(Binding& binding, std::uint16_t opnum, std::uint32_t t, Bytes input) {
  Made made{t, std::move(input), {}};
  try {
    made.outcome.output = binding.call(test_interface_id(), opnum, made.input);
    made.outcome.returned = true;
  } catch (const RpcException& e) {
    made.outcome.raised = e.status();
    made.outcome.what = e.what();
  }
  made.outcome.ended = binding.runtime().clock().now();
  return made;
}

// Returned exactly its own input, or raised one of `allowed`.
::testing::AssertionResult legal(const Made& made, std::initializer_list<RpcStatus> allowed) {
  const auto& o = made.outcome;
  if (o.returned ? o.output == made.input
                 : std::find(allowed.begin(), allowed.end(), o.raised) != allowed.end()) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "call " << made.tag
         << (o.returned ? " returned the reply tagged " + std::to_string(tag_of(o.output))
                        : " raised " + status_text(o.raised) + ": " + o.what);
}

// Runs body(i) for i < n on n threads released together and returns the results. A thread still
// running after kPatience is a hung call, which cannot be joined: fail loudly, as CallThread does.
template <typename Body>
auto run_threads(std::size_t n, Body body) {
  std::latch go(static_cast<std::ptrdiff_t>(n));
  std::vector<std::future<decltype(body(std::size_t{0}))>> futures;
  for (std::size_t i = 0; i < n; ++i) {
    futures.push_back(std::async(std::launch::async, [&go, &body, i] {
      go.arrive_and_wait();
      return body(i);
    }));
  }
  std::vector<decltype(body(std::size_t{0}))> results;
  auto until = std::chrono::steady_clock::now() + kPatience;
  for (auto& f : futures) {
    if (f.wait_until(until) != std::future_status::ready) {
      ADD_FAILURE() << "a thread did not finish within " << kPatience.count() << " s";
      std::abort();
    }
    results.push_back(f.get());
  }
  return results;
}

constexpr std::size_t kEchoThreads = 16;
constexpr std::size_t kEchoCalls = 30;

// Thread t's echo calls; every tenth input spans several fragments each way.
ThreadResult echo_calls(Binding& binding, std::size_t t) {
  ThreadResult r;
  for (std::size_t k = 0; k < kEchoCalls; ++k) {
    auto input = tagged_input(0, tag(t, k), k % 10 == 0 ? 9000 : t * 13 + k);
    r.calls.push_back(make_call(binding, test_op::kEcho, tag(t, k), std::move(input)));
  }
  r.opened = binding.connections_opened();
  return r;
}

TEST(Concurrency, ManyThreadsOnOneAssociationEachGetTheirOwnReplies) {
  Pair p(Protseq::ncacn_ip_tcp);
  auto results =
      run_threads(kEchoThreads, [&](std::size_t t) { return echo_calls(*p.binding, t); });
  for (const auto& r : results) {
    for (const auto& made : r.calls)
      EXPECT_TRUE(legal(made, {}));
  }
  // A call holds a connection for its duration: concurrent calls need several, and idle ones are
  // reused rather than multiplied (at most one per thread).
  EXPECT_GT(p.binding->connections_opened(), 1u);
  EXPECT_LE(p.binding->connections_opened(), kEchoThreads);
  constexpr int kTotal = static_cast<int>(kEchoThreads * kEchoCalls);
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::response_sent, kTotal));
  EXPECT_EQ(p.events.count(ServerEventKind::call_started), kTotal) << "no call runs twice";
}

TEST(Concurrency, ManyThreadsEachOnItsOwnAssociationGetTheirOwnReplies) {
  Pair p(Protseq::ncacn_ip_tcp);
  auto results = run_threads(kEchoThreads, [&](std::size_t t) {
    auto binding = Binding::from_string(*p.client, p.string_binding);
    return binding.ok() ? echo_calls(**binding, t) : ThreadResult{};
  });
  for (const auto& r : results) {
    ASSERT_EQ(r.calls.size(), kEchoCalls);
    for (const auto& made : r.calls)
      EXPECT_TRUE(legal(made, {}));
    EXPECT_EQ(r.opened, 1u) << "one thread's sequential calls reuse one connection";
  }
}

// CS-NEV-2: a cancel reaches the call it targets and no other. Targeted threads make calls that
// only a cancel can end; canceller threads cancel each one at a varying moment with a varying
// timeout. Bystander threads on the same association make cancellable calls nobody cancels, on
// connections that carried cancelled calls: every one of them must return.
TEST(Concurrency, CS_NEV_2_ConcurrentCancelsReachOnlyTheCallsTheyTarget) {
  Rig rig;
  auto& p = rig.p;
  constexpr std::size_t kTargeted = 4, kBystanders = 4, kCancellers = 2, kCalls = 6;
  std::vector<ThreadId> ids(kTargeted);
  std::atomic<std::size_t> targeted_running{kTargeted};
  auto results = run_threads(kTargeted + kBystanders + kCancellers, [&](std::size_t i) {
    ThreadResult r;
    if (i < kTargeted) {
      ids[i] = p.client->GetCurrentThreadId();  // published by the first mark
      for (std::size_t k = 0; k < kCalls; ++k) {
        rig.board.mark(Board::kAnnounced, tag(i, k));
        r.calls.push_back(make_call(*p.binding, test_op::kCancellable, tag(i, k),
                                    tagged_input(kForever, tag(i, k))));
      }
      --targeted_running;
    } else if (i < kTargeted + kBystanders) {
      for (std::size_t k = 0; k < kCalls || (targeted_running > 0 && k < 500); ++k) {
        r.calls.push_back(
            make_call(*p.binding, test_op::kCancellable, tag(i, k), tagged_input(100, tag(i, k))));
      }
    } else {
      for (std::size_t k = 0; k < kCalls; ++k) {
        for (auto t = i - kTargeted - kBystanders; t < kTargeted; t += kCancellers) {
          // Even calls are cancelled as soon as announced (often before their first fragment:
          // CS-IDLE-1, CS-PEND-1), odd ones once their routine runs (co_cancel, CS-FWD-1).
          bool ready = rig.board.wait(tag(t, k), {Board::kAnnounced}) &&
                       (k % 2 == 0 || rig.board.wait(tag(t, k), {Board::kStarted}));
          if (!ready) ADD_FAILURE() << "call " << tag(t, k) << " never started";
          // Orphan at once (CS-TMO-3), wait for the server's fault, or wait forever for it.
          EXPECT_EQ(p.cancel(ids[t], std::array{0L, 30L, kInfinite}[(t + k) % 3]), status::kOk);
        }
      }
    }
    return r;
  });
  for (std::size_t i = 0; i < kTargeted + kBystanders; ++i) {
    ASSERT_GE(results[i].calls.size(), kCalls);
    for (const auto& made : results[i].calls) {
      // A targeted call waits 60 s real unless cancelled, so returning is not legal for it here.
      if (i < kTargeted) {
        EXPECT_EQ(made.outcome.raised, status::kCallCancelled) << made.tag;
      } else {
        EXPECT_TRUE(legal(made, {})) << "a bystander's call was cancelled";
      }
    }
  }
  // On the wire: every co_cancel and orphaned names a targeted call (call_ids are unique on one
  // binding; the first request fragment's stub carries the tag at offset 24 + 4).
  std::map<std::uint32_t, std::uint32_t> tag_by_call_id;
  int cancel_pdus = 0;
  for (const auto& pdu : p.capture.pdus()) {
    if (!pdu.outbound) continue;
    if (pdu.type == "request" && (pdu.flags & wire::pfc::kFirstFrag) != 0 &&
        pdu.bytes.size() >= 32) {
      tag_by_call_id[pdu.call_id] = load_le32(pdu.bytes.data() + 28);
    } else if (pdu.type == "co_cancel" || pdu.type == "orphaned") {
      ++cancel_pdus;
      auto it = tag_by_call_id.find(pdu.call_id);
      ASSERT_NE(it, tag_by_call_id.end()) << pdu.type << " for unknown call " << pdu.call_id;
      EXPECT_LT(it->second / 1000, kTargeted) << pdu.type << " for call " << it->second;
    }
  }
  EXPECT_GT(cancel_pdus, 0);
  EXPECT_EQ(rig.board.most_starts(), 1) << "a call ran twice";
}

// A cancel racing the completion of the call it targets (CS-NEV-2, CS-RES-3, CS-IDLE-1). Each
// racer thread makes calls one after another (alternately an echo, which never looks for cancels,
// and a short cancellable wait); its canceller cancels each call once, at a random moment around
// its completion, with timeout 0, 1 s or infinite. Legal outcomes, and why:
//  - each call returns its own input or raises RPC_S_CALL_CANCELLED, nothing else: a cancel that
//    wins ends the call (server fault, CS-RES-1, or orphan, CS-TMO-2/3); one that loses leaves
//    the results alone (CS-RES-2);
//  - a cancel that missed its call (posted after the reply, or unseen by the routine, CS-RES-3)
//    stays pending on the thread (CS-IDLE-1) and rides on the next call, which starts cancelled
//    (CS-PEND-1): a cancellable routine then raises; an echo returns and leaves it pending again;
//  - so a cancel is never lost: some call at or after the one it targeted raises. With timeout 0
//    the client orphans on its own, so that is the targeted call or the next one, unless the
//    next round's cancel came while this one was still pending and replaced its timeout
//    (CS-IDLE-1: a second cancel changes nothing but the timeout);
//  - and a cancel has no effect beyond the call that takes it: after a cancellable check call
//    (which returns or raises) the next call returns.
// Cancel i is always posted before call i + 1 starts.
TEST(Concurrency, CS_NEV_2_ACancelRacingCompletionEndsItsCallOrTheNextOnly) {
  Rig rig;
  auto& p = rig.p;
  constexpr std::size_t kRacers = 4, kRounds = 150;
  std::vector<ThreadId> ids(kRacers);
  std::vector<std::vector<long>> timeouts(kRacers, std::vector<long>(kRounds));
  std::vector<std::vector<unsigned>> moments(kRacers, std::vector<unsigned>(kRounds));
  auto results = run_threads(2 * kRacers, [&](std::size_t i) {
    ThreadResult r;
    if (i < kRacers) {
      ids[i] = p.client->GetCurrentThreadId();
      for (std::size_t k = 0; k < kRounds + 2; ++k) {  // the rounds, then two check calls
        if (k > 0 && k <= kRounds && !rig.board.wait(tag(i, k - 1), {Board::kPosted})) break;
        bool echo = k < kRounds && k % 2 == 0;
        rig.board.mark(Board::kAnnounced, tag(i, k));
        r.calls.push_back(make_call(*p.binding, echo ? test_op::kEcho : test_op::kCancellable,
                                    tag(i, k), tagged_input(echo ? 0 : 10, tag(i, k))));
        rig.board.mark(Board::kCallEnded, tag(i, k));
      }
      return r;
    }
    auto racer = i - kRacers;
    std::minstd_rand rng(static_cast<std::minstd_rand::result_type>(racer + 1));
    for (std::size_t k = 0; k < kRounds; ++k) {
      auto t = tag(racer, k);
      if (!rig.board.wait(t, {Board::kAnnounced})) break;
      moments[racer][k] = static_cast<unsigned>(rng() % 3);
      switch (moments[racer][k]) {
        case 0:  // at once: often before the first fragment leaves
          break;
        case 1:  // while the routine runs, or just after: the reply is on its way
          rig.board.wait(t, {Board::kStarted, Board::kCallEnded});
          for (auto spins = rng() % 64; spins > 0; --spins)
            std::this_thread::yield();
          break;
        default:  // as the reply arrives, or once the call has ended
          rig.board.wait(t, {Board::kRoutineEnded, Board::kCallEnded});
          break;
      }
      timeouts[racer][k] = std::array{0L, 1L, kInfinite}[rng() % 3];
      EXPECT_EQ(p.cancel(ids[racer], timeouts[racer][k]), status::kOk);
      rig.board.mark(Board::kPosted, t);
    }
    return r;
  });
  int returned = 0, cancelled = 0;
  for (std::size_t racer = 0; racer < kRacers; ++racer) {
    const auto& calls = results[racer].calls;
    ASSERT_EQ(calls.size(), kRounds + 2);
    for (const auto& made : calls) {
      EXPECT_TRUE(legal(made, {status::kCallCancelled}));
      ++(made.outcome.returned ? returned : cancelled);
    }
    auto raised = [&](std::size_t k) { return !calls[k].outcome.returned; };
    for (std::size_t k = 0; k < kRounds; ++k) {
      // A cancel posted at once for the next round may find this one still pending and replace
      // its timeout (CS-IDLE-1).
      bool replaced = k + 1 < kRounds && moments[racer][k + 1] == 0 && timeouts[racer][k + 1] != 0;
      if (timeouts[racer][k] == 0 && !replaced) {
        EXPECT_TRUE(raised(k) || raised(k + 1))
            << "racer " << racer << ": the T = 0 cancel of round " << k << " (moment "
            << moments[racer][k] << ") was lost";
      }
    }
    EXPECT_TRUE(raised(kRounds - 1) || raised(kRounds)) << "racer " << racer << ": lost cancel";
    EXPECT_TRUE(calls[kRounds + 1].outcome.returned) << "a cancel outlived the call that took it";
  }
  EXPECT_GT(returned, 0);
  EXPECT_GT(cancelled, 0);
  EXPECT_EQ(rig.board.most_starts(), 1) << "a call ran twice";
}

// CS-TMO-3 from several threads at once on one binding: each deaf call raises at once, and the
// association replaces its orphaned connections.
TEST(Concurrency, CS_TMO_3_ZeroTimeoutCancelsFromSeveralThreadsOrphanDeafCallsAtOnce) {
  Pair p(Protseq::ncacn_ip_tcp);
  constexpr std::size_t kCalls = 6, kCancellers = 3;
  std::vector<std::unique_ptr<CallThread>> calls;
  for (std::size_t i = 0; i < kCalls; ++i) {
    calls.push_back(std::make_unique<CallThread>(*p.client, p.binding, test_op::kDeaf,
                                                 tagged_input(5000, tag(i, 0))));
  }
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started, static_cast<int>(kCalls)));
  EXPECT_EQ(p.binding->connections_opened(), kCalls);
  std::vector<Duration> posted(kCalls);
  run_threads(kCancellers, [&](std::size_t c) {
    for (auto i = c; i < kCalls; i += kCancellers) {
      posted[i] = p.clock.now();
      EXPECT_EQ(p.cancel(calls[i]->thread_id(), 0), status::kOk);
    }
    return 0;
  });
  for (std::size_t i = 0; i < kCalls; ++i) {
    auto outcome = calls[i]->finish();
    EXPECT_EQ(outcome.raised, status::kCallCancelled) << outcome.what;
    EXPECT_LT(outcome.ended - posted[i], kLate);
  }
  EXPECT_EQ(p.capture.count("co_cancel"), kCalls);
  EXPECT_EQ(p.capture.count("orphaned"), kCalls);
  EXPECT_EQ(p.binding->idle_connections(), 0u) << "orphaned connections are not reused";
  auto results = run_threads(kCalls, [&](std::size_t t) {
    return make_call(*p.binding, test_op::kEcho, tag(t, 1), tagged_input(0, tag(t, 1), t));
  });
  for (const auto& made : results)
    EXPECT_TRUE(legal(made, {}));
  EXPECT_GT(p.binding->connections_opened(), kCalls);
  // CS-STUB-1, CS-SRV-5: the deaf routines ran on and their results were discarded.
  EXPECT_TRUE(p.events.wait_for(ServerEventKind::result_discarded, static_cast<int>(kCalls)));
}

// CS-NEV-1 when the server stops under load: stop() wakes the waiting routines, so it abandons
// none and returns well within its bound, and every call ends. Half of the calls are cancelled
// (timeout infinite) as the stop begins: they may also raise RPC_S_CALL_CANCELLED (CS-RES-1,
// CS-CONN-2); the others may not (CS-NEV-2). Returning (the routine woke and answered) and
// RPC_S_CALL_FAILED (the connection closed first, CS-CONN-1) are legal for all.
TEST(Concurrency, CS_NEV_1_StoppingTheServerEndsEveryCallInFlight) {
  Pair p(Protseq::ncacn_ip_tcp);
  constexpr std::size_t kCalls = 8;
  std::vector<std::unique_ptr<CallThread>> calls;
  for (std::size_t i = 0; i < kCalls; ++i) {
    calls.push_back(std::make_unique<CallThread>(*p.client, p.binding, test_op::kCancellable,
                                                 tagged_input(kForever, tag(i, 0))));
  }
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started, static_cast<int>(kCalls)));
  const auto bound = seconds(5);
  auto start = p.clock.now();
  Duration stopped{};
  auto abandoned = run_threads(2, [&](std::size_t i) -> std::size_t {
    if (i == 0) {
      auto n = p.server->stop(bound);
      stopped = p.clock.now();
      return n;
    }
    // A call thread the stop has already ended (and that has exited) is no thread of the
    // runtime any more (CS-ARG-1).
    for (std::size_t c = 0; c < kCalls; c += 2) {
      auto posted = p.cancel(calls[c]->thread_id(), kInfinite);
      EXPECT_TRUE(posted == status::kOk || posted == status::kInvalidArg) << posted;
    }
    return 0;
  });
  EXPECT_EQ(abandoned[0], 0u);
  EXPECT_LT(stopped - start, bound + kLate);
  for (std::size_t i = 0; i < kCalls; ++i) {
    Made made{tag(i, 0), tagged_input(kForever, tag(i, 0)), calls[i]->finish()};
    auto cancelled = i % 2 == 0 ? status::kCallCancelled : status::kCallFailed;
    EXPECT_TRUE(legal(made, {status::kCallFailed, cancelled}));
    EXPECT_LT(made.outcome.ended - start, bound + kLate);
  }
  EXPECT_EQ(p.server->open_connections(), 0u);
}

}  // namespace
}  // namespace rpcfit::rpc
