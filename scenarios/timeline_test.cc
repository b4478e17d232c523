// Problems between steps and expectations: names used before or without their definition, and
// instants that cannot be. Each with its exact file:line:column and message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "scenarios/loader.h"
#include "scenarios/test_util.h"

namespace rpcfit::scenarios {
namespace {

using ::testing::ElementsAre;
using testing::errors_of;
using ::testing::IsEmpty;
using testing::load;
using testing::with_header;

// Steps start on line 5.
std::vector<std::string> steps_errors(std::string_view steps_and_rest) {
  return errors_of(with_header("steps:\n" + std::string(steps_and_rest)));
}

TEST(Timeline, DuplicateCallIds) {
  EXPECT_THAT(steps_errors("  - {at: 0ms, call: {id: c1}}\n"
                           "  - {at: 5ms, call: {id: c1}}\n"),
              ElementsAre("t.yaml:6:26: steps[1].call: duplicate call id \"c1\" (first at "
                          "steps[0], at 0ms)"));
  // A written id may take a default one: the second call's default is call2.
  EXPECT_THAT(steps_errors("  - {at: 0ms, call: {id: call2}}\n"
                           "  - {at: 5ms, call: {}}\n"),
              ElementsAre("t.yaml:6:5: steps[1].call: duplicate call id \"call2\" (first at "
                          "steps[0], at 0ms)"));
}

TEST(Timeline, DuplicateHandles) {
  EXPECT_THAT(steps_errors("  - {at: 0ms, open_thread: {handle: h, thread: main}}\n"
                           "  - {at: 0ms, open_thread: {handle: h, thread: main}}\n"),
              ElementsAre("t.yaml:6:37: steps[1].open_thread.handle: duplicate handle \"h\" "
                          "(first opened at steps[0], at 0ms)"));
}

TEST(Timeline, UnknownCall) {
  EXPECT_THAT(steps_errors("  - {at: 0ms, call: {id: c1, async: true}}\n"
                           "  - {at: 5ms, async_cancel: {call: c9}}\n"
                           "  - {at: 5ms, wait: {call: c8}}\n"),
              ElementsAre("t.yaml:6:36: steps[1].async_cancel.call: no call step has id \"c9\"",
                          "t.yaml:7:28: steps[2].wait.call: no call step has id \"c8\""));
}

TEST(Timeline, CallDefinedOnlyLater) {
  EXPECT_THAT(steps_errors("  - {at: 0ms, wait: {call: c1}}\n"
                           "  - {at: 0ms, call: {id: c1}}\n"),
              ElementsAre("t.yaml:5:28: steps[0].wait.call: call \"c1\" starts only later "
                          "(steps[1], at 0ms)"));
  EXPECT_THAT(steps_errors("  - {at: 1s, call: {id: c1, async: true}}\n"
                           "  - {at: 500ms, async_cancel: {call: c1}}\n"),
              ElementsAre("t.yaml:6:38: steps[1].async_cancel.call: call \"c1\" starts only later "
                          "(steps[0], at 1s)"));
  // Written later in the file, but earlier in time: fine.
  EXPECT_THAT(steps_errors("  - {at: 1s, wait: {call: c1}}\n"
                           "  - {at: 0ms, call: {id: c1}}\n"),
              IsEmpty());
}

TEST(Timeline, AsyncCancelOfASyncCall) {
  EXPECT_THAT(steps_errors("  - {at: 0ms, call: {id: c1}}\n"
                           "  - {at: 5ms, async_cancel: {call: c1}}\n"),
              ElementsAre("t.yaml:6:36: steps[1].async_cancel.call: call \"c1\" is synchronous; "
                          "async_cancel cancels async calls (use cancel)"));
}

TEST(Timeline, RaisesOfAnAsyncCall) {
  EXPECT_THAT(steps_errors("  - {at: 0ms, call: {id: c1, async: true}}\n"
                           "expect:\n"
                           "  calls:\n"
                           "    c1: {raises: RPC_S_CALL_CANCELLED}\n"),
              ElementsAre("t.yaml:8:10: expect.calls.c1.raises: call \"c1\" is async and raises "
                          "nothing; its outcome is a status"));
}

TEST(Timeline, UnknownHandle) {
  EXPECT_THAT(steps_errors("  - {at: 0ms, cancel: {handle: h9}}\n"
                           "  - {at: 0ms, close_handle: {handle: h8}}\n"),
              ElementsAre("t.yaml:5:32: steps[0].cancel.handle: no open_thread step opens handle "
                          "\"h9\"",
                          "t.yaml:6:38: steps[1].close_handle.handle: no open_thread step opens "
                          "handle \"h8\""));
}

TEST(Timeline, HandleOpenedOnlyLater) {
  EXPECT_THAT(steps_errors("  - {at: 0ms, cancel_thread: {handle: h1}}\n"
                           "  - {at: 0ms, open_thread: {handle: h1, thread: main}}\n"),
              ElementsAre("t.yaml:5:39: steps[0].cancel_thread.handle: handle \"h1\" is opened "
                          "only later (steps[1], at 0ms)"));
  // A closed handle is a case the spec covers (CS-ARG-1), not a mistake.
  EXPECT_THAT(steps_errors("  - {at: 0ms, open_thread: {handle: h1, thread: main}}\n"
                           "  - {at: 1ms, close_handle: {handle: h1, expect: true}}\n"
                           "  - {at: 2ms, cancel: {handle: h1, expect: RPC_S_INVALID_ARG}}\n"),
              IsEmpty());
}

TEST(Timeline, UnknownThread) {
  EXPECT_THAT(
      steps_errors("  - {at: 0ms, call: {thread: t1}}\n"
                   "  - {at: 0ms, set_cancel_timeout: {thread: t3, timeout: 1}}\n"
                   "  - {at: 5ms, cancel: {thread: t1}}\n"
                   "  - {at: 5ms, cancel: {thread: t3}}\n"
                   "  - {at: 5ms, cancel_thread: {thread: t2}}\n"
                   "  - {at: 5ms, open_thread: {handle: h, thread: t4}}\n"),
      ElementsAre("t.yaml:9:39: steps[4].cancel_thread.thread: no step runs on thread \"t2\" "
                  "(client threads are main and those of call and set_cancel_timeout steps)",
                  "t.yaml:10:48: steps[5].open_thread.thread: no step runs on thread \"t4\" "
                  "(client threads are main and those of call and set_cancel_timeout steps)"));
}

TEST(Timeline, TargetIsAThreadOrAHandle) {
  EXPECT_THAT(steps_errors("  - {at: 0ms, open_thread: {handle: h, thread: main}}\n"
                           "  - {at: 1ms, cancel: {thread: main, handle: h}}\n"
                           "  - {at: 1ms, cancel_thread: {expect: RPC_S_OK}}\n"),
              ElementsAre("t.yaml:6:23: steps[1].cancel: give thread or handle, not both",
                          "t.yaml:7:30: steps[2].cancel_thread: give thread (a client thread) or "
                          "handle (an open_thread handle, or null)"));
  EXPECT_THAT(steps_errors("  - {at: 1ms, cancel: {handle: null, access: 0x10}}\n"),
              ElementsAre("t.yaml:5:38: steps[0].cancel.access: access is for the handle opened "
                          "for a thread; a given handle has its own"));
  EXPECT_THAT(steps_errors("  - {at: 0ms, open_thread: {handle: null}}\n"),
              ElementsAre("t.yaml:5:28: steps[0].open_thread.thread: required key missing",
                          "t.yaml:5:37: steps[0].open_thread.handle: expected a name for the "
                          "handle, got null"));
}

TEST(Timeline, ExpectNamesAnUnknownCall) {
  EXPECT_THAT(steps_errors("  - {at: 0ms, call: {id: c1}}\n"
                           "expect:\n"
                           "  calls:\n"
                           "    c1: {returns: true}\n"
                           "    c9: {returns: true}\n"),
              ElementsAre("t.yaml:9:5: expect.calls.c9: no call step has id \"c9\""));
}

TEST(Timeline, CallShorthandNeedsExactlyOneCall) {
  EXPECT_THAT(steps_errors("  - {at: 0ms, call: {}}\n"
                           "  - {at: 0ms, call: {}}\n"
                           "expect:\n"
                           "  call: {returns: true}\n"),
              ElementsAre("t.yaml:8:3: expect.call: the shorthand is for a scenario with one call "
                          "step; this one has 2 (use expect.calls)"));
  EXPECT_THAT(steps_errors("  - {at: 0ms, cancel: {thread: main}}\n"
                           "expect: {call: {returns: true}}\n"),
              ElementsAre("t.yaml:6:10: expect.call: the shorthand is for a scenario with one "
                          "call step; this one has 0 (use expect.calls)"));
  EXPECT_THAT(steps_errors("  - {at: 0ms, call: {}}\n"
                           "expect: {call: {returns: true}, calls: {call1: {}}}\n"),
              ElementsAre("t.yaml:6:33: expect.calls: give expect.call or expect.calls, not "
                          "both"));
}

TEST(Timeline, ImpossibleCallEnd) {
  EXPECT_THAT(steps_errors("  - {at: 0ms, call: {id: a}}\n"
                           "  - {at: 200ms, call: {id: b}}\n"
                           "expect:\n"
                           "  calls:\n"
                           "    a: {at: 0ms}\n"
                           "    b: {at: 150ms}\n"),
              ElementsAre("t.yaml:10:13: expect.calls.b.at: impossible timeline: 150ms is before "
                          "call \"b\" starts (steps[1], at 200ms)"));
}

TEST(Timeline, ImpossibleWireAndServerInstants) {
  EXPECT_THAT(steps_errors("  - {at: 1s, call: {}}\n"
                           "  - {at: 2s, call: {}}\n"
                           "expect:\n"
                           "  wire:\n"
                           "    - {dir: out, pdu: bind, at: 999ms}\n"
                           "    - {dir: out, pdu: request, at: 1s}\n"
                           "  server: {saw_cancel_at: 500ms, finished_at: 1500ms}\n"),
              ElementsAre("t.yaml:9:33: expect.wire[0].at: impossible timeline: 999ms is before "
                          "the first call starts (steps[0], at 1s)",
                          "t.yaml:11:27: expect.server.saw_cancel_at: impossible timeline: 500ms "
                          "is before the first call starts (steps[0], at 1s)"));
}

TEST(Timeline, NothingIsDueAfterTheTimeout) {
  // Line 4 is the timeout; steps start on line 6.
  EXPECT_THAT(errors_of(with_header("timeout: 2s\n"
                                    "steps:\n"
                                    "  - {at: 0ms, call: {id: a}}\n"
                                    "  - {at: 3s, wait: {call: a}}\n"
                                    "expect:\n"
                                    "  calls:\n"
                                    "    a: {at: 2500ms}\n"
                                    "  wire:\n"
                                    "    - {dir: out, pdu: request, at: 2s}\n"
                                    "    - {dir: out, pdu: orphaned, at: 2001ms}\n")),
              ElementsAre("t.yaml:7:10: steps[1].at: impossible timeline: 3s is after the "
                          "scenario's timeout (2s), where the watchdog ends the run",
                          "t.yaml:10:13: expect.calls.a.at: impossible timeline: 2500ms is after "
                          "the scenario's timeout (2s), where the watchdog ends the run",
                          "t.yaml:13:37: expect.wire[1].at: impossible timeline: 2001ms is after "
                          "the scenario's timeout (2s), where the watchdog ends the run"));
  // Without one, the default timeout follows the latest instant named, so nothing is after it.
  EXPECT_THAT(steps_errors("  - {at: 0ms, call: {id: a}}\n"
                           "  - {at: 3s, wait: {call: a}}\n"
                           "expect: {call: {at: 34s}}\n"),
              IsEmpty());
}

// The default timeout: the latest instant a file names (step or expectation), plus the server's
// longest routine, plus kTimeoutSlack; an explicit one is taken as it is.
TEST(Timeline, TheDefaultTimeoutFollowsTheLatestInstantAndTheLongestRoutine) {
  using std::chrono::milliseconds;
  const Loaded plain =
      load(with_header("steps:\n  - {at: 100ms, call: {id: a}}\n"
                       "expect: {call: {at: 1100ms}}\n"));
  ASSERT_TRUE(plain.scenario);
  EXPECT_EQ(run::effective_timeout(*plain.scenario), milliseconds(1100) + run::kTimeoutSlack);
  const Loaded slow =
      load(with_header("server: {behaviour: slow, delay: 2s, ops: {3: {behaviour: "
                       "cancel-aware, run_for: 4s, cleanup: 500ms}}}\n"
                       "steps:\n  - {at: 100ms, call: {id: a}}\n"));
  ASSERT_TRUE(slow.scenario);
  EXPECT_EQ(run::effective_timeout(*slow.scenario),
            milliseconds(100) + milliseconds(4500) + run::kTimeoutSlack);
  const Loaded given = load(with_header("timeout: 2s\nsteps:\n  - {at: 0ms, call: {id: a}}\n"));
  ASSERT_TRUE(given.scenario);
  EXPECT_EQ(run::effective_timeout(*given.scenario), std::chrono::seconds(2));
}

TEST(Timeline, ThreadsOfSetCancelTimeoutCount) {
  EXPECT_THAT(steps_errors("  - {at: 0ms, set_cancel_timeout: {thread: w, timeout: infinite}}\n"
                           "  - {at: 0ms, open_thread: {handle: h, thread: w, access: 0}}\n"
                           "  - {at: 0ms, cancel: {handle: h, expect: RPC_S_ACCESS_DENIED}}\n"),
              IsEmpty());
}

}  // namespace
}  // namespace rpcfit::scenarios
