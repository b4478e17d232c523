// One test per kind of problem a single node can have: the exact file:line:column and message.
// (Problems between steps and expectations are in timeline_test.cc.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "scenarios/loader.h"
#include "scenarios/test_util.h"

namespace rpcfit::scenarios {
namespace {

using ::testing::ElementsAre;
using testing::errors_of;
using ::testing::IsEmpty;
using testing::with_header;

constexpr const char* kOneCall = "steps:\n  - {at: 0ms, call: {id: c1}}\n";  // lines 4-5

TEST(LoadErrors, TheBaseScenarioIsValid) {
  EXPECT_THAT(errors_of(with_header(kOneCall)), IsEmpty());
}

TEST(LoadErrors, YamlSyntax) {
  EXPECT_THAT(errors_of(with_header("steps: [\n  {at: 0ms\n")),
              ElementsAre("t.yaml:6:1: YAML syntax error: end of map flow not found"));
}

TEST(LoadErrors, EmptyFileAndNonMappingRoot) {
  EXPECT_THAT(errors_of(""), ElementsAre("t.yaml:1:1: the file is empty; expected a scenario"));
  EXPECT_THAT(errors_of("- a\n- b\n"),
              ElementsAre("t.yaml:1:1: expected a mapping of scenario keys (id, title, ...), got "
                          "a list"));
}

TEST(LoadErrors, SecondDocument) {
  EXPECT_THAT(errors_of(with_header(std::string(kOneCall) + "---\nid: b\n")),
              ElementsAre("t.yaml:7:1: a scenario file holds one YAML document; this is a second"));
}

TEST(LoadErrors, UnknownKeyNamesTheKnownOnesAndANearMiss) {
  EXPECT_THAT(
      errors_of(with_header(std::string(kOneCall) + "server: {behavior: hung}\n")),
      ElementsAre("t.yaml:6:10: server.behavior: unknown key (did you mean \"behaviour\"?); known "
                  "keys: behaviour, delay, response_size, poll_period, cleanup, on_cancel, "
                  "poll_with, run_for, crash_after_bytes, cancel_deaf, ops"));
  EXPECT_THAT(errors_of(with_header("steps:\n  - {at: 0ms, call: {opnm: 1}}\n")),
              ElementsAre("t.yaml:5:22: steps[0].call.opnm: unknown key (did you mean "
                          "\"opnum\"?); known keys: id, thread, opnum, in_bytes, in_hex, async"));
  EXPECT_THAT(errors_of(with_header(std::string(kOneCall) + "frobnicate: 1\n")),
              ElementsAre("t.yaml:6:1: frobnicate: unknown key; known keys: id, title, spec, "
                          "level, tags, protseq, server, faults, client, timing, timeout, steps, "
                          "expect, capture, xfail, skip"));
}

TEST(LoadErrors, DuplicateKey) {
  EXPECT_THAT(errors_of(with_header(std::string(kOneCall) + "title: again\n")),
              ElementsAre("t.yaml:6:1: title: duplicate key (first at line 2)"));
}

TEST(LoadErrors, WrongTypes) {
  EXPECT_THAT(errors_of(with_header("steps:\n  - {at: 0ms, cancel: {thread: main, timeout: "
                                    "two}}\n")),
              ElementsAre("t.yaml:5:47: steps[0].cancel.timeout: expected whole seconds (an "
                          "integer) or infinite, got \"two\""));
  EXPECT_THAT(errors_of(with_header("steps:\n  - {at: 0ms, call: {opnum: two}}\n")),
              ElementsAre("t.yaml:5:29: steps[0].call.opnum: expected an integer, got \"two\""));
  EXPECT_THAT(errors_of(with_header("steps:\n  - {at: 0ms, call: {async: yes}}\n")),
              ElementsAre("t.yaml:5:29: steps[0].call.async: expected true or false, got "
                          "\"yes\""));
  EXPECT_THAT(errors_of(with_header("steps: {at: 0ms}\n")),
              ElementsAre("t.yaml:4:8: steps: expected a list, got a mapping"));
  EXPECT_THAT(errors_of(with_header(std::string(kOneCall) + "client: [windows]\n")),
              ElementsAre("t.yaml:6:9: client: expected a mapping, got a list"));
  EXPECT_THAT(errors_of(with_header(std::string(kOneCall) + "capture: [a]\n")),
              ElementsAre("t.yaml:6:10: capture: expected a string, got a list"));
}

TEST(LoadErrors, RequiredKeyMissingIsReportedAtItsMapping) {
  EXPECT_THAT(errors_of("id: a\nspec: [CS-OK-1]\nsteps:\n  - {at: 0ms, call: {}}\n"),
              ElementsAre("t.yaml:1:1: title: required key missing"));
  EXPECT_THAT(errors_of(with_header("steps:\n  - {call: {}}\n")),
              ElementsAre("t.yaml:5:5: steps[0].at: required key missing"));
  EXPECT_THAT(errors_of(with_header("steps:\n  - {at: 0ms, async_cancel: {}}\n")),
              ElementsAre("t.yaml:5:29: steps[0].async_cancel.call: required key missing"));
}

TEST(LoadErrors, EmptyRequiredValues) {
  EXPECT_THAT(errors_of("id: a\ntitle: ''\nspec: []\nsteps: []\n"),
              ElementsAre("t.yaml:2:8: title: expected a non-empty string",
                          "t.yaml:3:7: spec: expected at least one rule ID such as CS-TMO-2",
                          "t.yaml:4:8: steps: expected at least one step"));
}

TEST(LoadErrors, BadIdAndTags) {
  EXPECT_THAT(
      errors_of("id: Cancel//x\ntitle: T\nspec: [CS-OK-1]\ntags: [ok, Not OK]\n" +
                std::string(kOneCall)),
      ElementsAre("t.yaml:1:5: id: \"Cancel//x\" is not a path-like id: segments of a-z, 0-9, "
                  "'.', '_' and '-', each starting with a letter or digit, joined by '/'",
                  "t.yaml:4:12: tags[1]: \"Not OK\" is not a tag (a-z, 0-9, '_' and '-')"));
}

TEST(LoadErrors, UnknownStatus) {
  EXPECT_THAT(
      errors_of(with_header("steps:\n  - {at: 0ms, cancel: {thread: main, expect: "
                            "RPC_S_CALL_CANCELED}}\n")),
      ElementsAre("t.yaml:5:46: steps[0].cancel.expect: unknown status \"RPC_S_CALL_CANCELED\" "
                  "(did you mean \"RPC_S_CALL_CANCELLED\"?)"));
  EXPECT_THAT(errors_of(with_header(std::string(kOneCall) + "expect: {call: {status: BOGUS}}\n")),
              ElementsAre("t.yaml:6:25: expect.call.status: unknown status \"BOGUS\" (a name "
                          "such as RPC_S_CALL_CANCELLED, or a number)"));
  EXPECT_THAT(
      errors_of(with_header(std::string(kOneCall) + "expect: {server: {fault_status: bogus}}\n")),
      ElementsAre("t.yaml:6:33: expect.server.fault_status: unknown NCA status \"bogus\" (a name "
                  "such as nca_s_fault_cancel, 0x hex or decimal)"));
}

TEST(LoadErrors, UnknownRuleId) {
  EXPECT_THAT(
      errors_of("id: a\ntitle: T\nspec: [CS-TMO-2, CS-TM0-3, XX]\n" + std::string(kOneCall)),
      ElementsAre("t.yaml:3:18: spec[1]: unknown rule ID \"CS-TM0-3\" (did you mean "
                  "\"CS-TMO-3\"?) (the rules are spec/cancel-semantics.md's)",
                  "t.yaml:3:28: spec[2]: unknown rule ID \"XX\" (the rules are "
                  "spec/cancel-semantics.md's)"));
}

TEST(LoadErrors, UnknownBehaviourAndChoices) {
  EXPECT_THAT(errors_of(with_header(std::string(kOneCall) + "server: {behaviour: hang}\n")),
              ElementsAre("t.yaml:6:21: server.behaviour: unknown behaviour \"hang\" (did you "
                          "mean \"hung\"?); known: normal, slow, hung, cancel-aware, deny, crash"));
  EXPECT_THAT(
      errors_of(with_header(std::string(kOneCall) + "server: {ops: {2: {on_cancel: throw}}}\n")),
      ElementsAre("t.yaml:6:31: server.ops.2.on_cancel: unknown on_cancel \"throw\"; known: "
                  "raise, return"));
  EXPECT_THAT(errors_of(with_header(std::string(kOneCall) + "level: may\n")),
              ElementsAre("t.yaml:6:8: level: unknown level \"may\"; known: must, should"));
  EXPECT_THAT(errors_of(with_header(std::string(kOneCall) + "client: {platform: linux}\n")),
              ElementsAre("t.yaml:6:20: client.platform: unknown platform \"linux\"; known: "
                          "windows, legacy"));
}

TEST(LoadErrors, UnknownProtseq) {
  EXPECT_THAT(errors_of(with_header(std::string(kOneCall) + "protseq: ncacn_ip_tpc\n")),
              ElementsAre("t.yaml:6:10: protseq: unknown protocol sequence \"ncacn_ip_tpc\" (did "
                          "you mean \"ncacn_ip_tcp\"?); known: ncacn_ip_tcp, ncacn_np, ncalrpc, "
                          "ncacn_http, ncadg_ip_udp, ncadg_mq"));
}

TEST(LoadErrors, UnknownPduTypeAndField) {
  const auto errors = errors_of(with_header(
      std::string(kOneCall) + "expect:\n  wire:\n    - {dir: out, pdu: co_cancl, flag: LAST}\n"));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_THAT(errors[0], ::testing::StartsWith(
                             "t.yaml:8:23: expect.wire[0].pdu: unknown PDU type \"co_cancl\" "
                             "(did you mean \"co_cancel\"?); known: request, ping, response,"));
  EXPECT_EQ(errors[1],
            "t.yaml:8:33: expect.wire[0].flag: unknown key (did you mean \"flags\"?); known "
            "keys: dir, pdu, at, type, flags, flags2, call_id, seqnum, fragnum, activity, "
            "context_id, opnum, alloc_hint, cancel_count, status, cancel_id, "
            "server_is_accepting, stub_length");
  EXPECT_THAT(
      errors_of(with_header(std::string(kOneCall) +
                            "expect:\n  wire: [{dir: sideways, pdu: bind, flags: [A]}]\n")),
      ElementsAre("t.yaml:7:16: expect.wire[0].dir: unknown direction \"sideways\"; known: out, in",
                  "t.yaml:7:44: expect.wire[0].flags: expected a value such as 1 or "
                  "\"LAST|PENDING_CANCEL\", got a list"));
  EXPECT_THAT(errors_of(with_header(std::string(kOneCall) + "expect:\n  wire: [{pdu: bind}]\n")),
              ElementsAre("t.yaml:7:10: expect.wire[0].dir: required key missing"));
}

TEST(LoadErrors, UnknownAccessRight) {
  EXPECT_THAT(
      errors_of(with_header(std::string(kOneCall) +
                            "client: {access: [THREAD_SET_CONTEXT, THREAD_SET_CONTXT]}\n")),
      ElementsAre("t.yaml:6:39: client.access[1]: unknown access right \"THREAD_SET_CONTXT\" (did "
                  "you mean \"THREAD_SET_CONTEXT\"?); known: THREAD_TERMINATE, "
                  "THREAD_SUSPEND_RESUME, THREAD_GET_CONTEXT, THREAD_SET_CONTEXT, "
                  "THREAD_QUERY_INFORMATION, THREAD_ALL_ACCESS, or a number"));
  EXPECT_THAT(errors_of(with_header(std::string(kOneCall) + "client: {access: 0x100000000}\n")),
              ElementsAre("t.yaml:6:18: client.access: 0x100000000 is out of range (0 to "
                          "0xFFFFFFFF)"));
}

TEST(LoadErrors, BadDurations) {
  EXPECT_THAT(errors_of(with_header("steps:\n  - {at: 100, call: {}}\n")),
              ElementsAre("t.yaml:5:10: steps[0].at: expected a duration such as 100ms or 2s, got "
                          "\"100\""));
  EXPECT_THAT(errors_of(with_header(std::string(kOneCall) + "timeout: 2 s\n")),
              ElementsAre("t.yaml:6:10: timeout: expected a duration such as 100ms or 2s, got "
                          "\"2 s\""));
}

TEST(LoadErrors, NegativeAt) {
  EXPECT_THAT(errors_of(with_header("steps:\n  - {at: -100ms, call: {}}\n")),
              ElementsAre("t.yaml:5:10: steps[0].at: negative duration \"-100ms\"; instants count "
                          "from the start"));
  EXPECT_THAT(
      errors_of(with_header(std::string(kOneCall) + "expect: {call: {at: -1s}}\n")),
      ElementsAre("t.yaml:6:21: expect.call.at: negative duration \"-1s\"; instants count from "
                  "the start"));
}

TEST(LoadErrors, FaultParseErrorAtTheString) {
  EXPECT_THAT(errors_of(with_header(std::string(kOneCall) +
                                    "faults:\n  - drop,pdu=cl_cancel\n  - drop,nth=0\n")),
              ElementsAre("t.yaml:8:5: faults[1]: fault \"drop,nth=0\": nth: counts from 1"));
}

TEST(LoadErrors, FaultSplitByAFlowList) {
  EXPECT_THAT(
      errors_of(with_header(std::string(kOneCall) + "faults: [drop,nth=2, 'drop,nth=x']\n")),
      ElementsAre("t.yaml:6:15: faults[1]: fault \"nth=2\": \"nth=2\" is not a fault kind; "
                  "expected one of latency, drop, duplicate, reorder, truncate, corrupt, reset, "
                  "slice, blackhole, bandwidth; in a [...] list commas split items: quote each "
                  "fault or write the list one item per line",
                  "t.yaml:6:22: faults[2]: fault \"drop,nth=x\": nth: \"x\" is not a whole "
                  "number from 1 to 4294967295"));
}

TEST(LoadErrors, PercentOutOfRange) {
  EXPECT_THAT(errors_of(with_header(std::string(kOneCall) + "timing: {percent: 150}\n")),
              ElementsAre("t.yaml:6:19: timing.percent: 150 is out of range (0 to 100)"));
  EXPECT_THAT(errors_of(with_header(std::string(kOneCall) + "timing: {percent: lots}\n")),
              ElementsAre("t.yaml:6:19: timing.percent: expected a number, got \"lots\""));
}

TEST(LoadErrors, IntegerRanges) {
  EXPECT_THAT(errors_of(with_header("steps:\n  - {at: 0ms, call: {opnum: 65536}}\n")),
              ElementsAre("t.yaml:5:29: steps[0].call.opnum: 65536 is out of range (0 to 65535)"));
  EXPECT_THAT(errors_of(with_header("steps:\n  - {at: 0ms, call: {in_bytes: 16777217}}\n")),
              ElementsAre("t.yaml:5:32: steps[0].call.in_bytes: 16777217 is out of range (0 to "
                          "16777216)"));
  EXPECT_THAT(
      errors_of(with_header("steps:\n  - {at: 0ms, call: {in_bytes: 99999999999999999999}}\n")),
      ElementsAre("t.yaml:5:32: steps[0].call.in_bytes: 99999999999999999999 is out of range (0 "
                  "to 16777216)"));
  EXPECT_THAT(errors_of(with_header("steps:\n  - {at: 0ms, set_cancel_timeout: {timeout: "
                                    "2147483648}}\n")),
              ElementsAre("t.yaml:5:45: steps[0].set_cancel_timeout.timeout: 2147483648 does not "
                          "fit a 32-bit LONG (-2147483648 to 2147483647)"));
  EXPECT_THAT(
      errors_of(with_header(std::string(kOneCall) + "server: {response_size: 20000000}\n")),
      ElementsAre("t.yaml:6:25: server.response_size: 20000000 is out of range (0 to 16777216)"));
  EXPECT_THAT(errors_of(with_header(std::string(kOneCall) + "server: {ops: {x: {}}}\n")),
              ElementsAre("t.yaml:6:16: server.ops.x: expected an integer, got \"x\""));
}

TEST(LoadErrors, CallInput) {
  EXPECT_THAT(errors_of(with_header("steps:\n  - {at: 0ms, call: {in_bytes: 4, in_hex: '00'}}\n")),
              ElementsAre("t.yaml:5:35: steps[0].call.in_hex: give in_bytes or in_hex, not both"));
  EXPECT_THAT(errors_of(with_header("steps:\n  - {at: 0ms, call: {in_hex: 0g}}\n")),
              ElementsAre("t.yaml:5:30: steps[0].call.in_hex: \"0g\" is not hex: \"g\""));
  EXPECT_THAT(errors_of(with_header("steps:\n  - {at: 0ms, call: {in_hex: '010'}}\n")),
              ElementsAre("t.yaml:5:30: steps[0].call.in_hex: \"010\" is not whole bytes (an odd "
                          "number of hex digits)"));
}

TEST(LoadErrors, CallOutput) {
  const std::string call = std::string(kOneCall) + "expect:\n  call: {returns: true, ";
  EXPECT_THAT(errors_of(with_header(call + "output_hex: '0g'}\n")),
              ElementsAre("t.yaml:7:37: expect.call.output_hex: \"0g\" is not hex: \"g\""));
  EXPECT_THAT(errors_of(with_header(call + "output_digest: abc}\n")),
              ElementsAre("t.yaml:7:40: expect.call.output_digest: expected \"fnv1a64:\" and 16 "
                          "lowercase hex digits (a mismatch prints the digest of what the call "
                          "returned), got \"abc\""));
  EXPECT_THAT(
      errors_of(with_header(call + "output_hex: '00', output_digest: fnv1a64:0000000000000000}\n")),
      ElementsAre("t.yaml:7:43: expect.call.output_digest: give output_hex or output_digest, not "
                  "both"));
  const Loaded loaded = testing::load(with_header(call + "output_hex: '00 ff'}\n"));
  ASSERT_TRUE(loaded.scenario) << to_string(loaded.errors.front());
  EXPECT_EQ(loaded.scenario->expect.calls[0].output, (Bytes{0x00, 0xff}));
}

TEST(LoadErrors, StepKeys) {
  EXPECT_THAT(errors_of(with_header("steps:\n  - {at: 0ms}\n")),
              ElementsAre("t.yaml:5:5: steps[0]: no step key; expected one of call, cancel, "
                          "cancel_thread, async_cancel, set_cancel_timeout, open_thread, "
                          "close_handle, wait"));
  EXPECT_THAT(
      errors_of(with_header("steps:\n  - {at: 0ms, call: {}, wait: {call: call1}}\n")),
      ElementsAre("t.yaml:5:25: steps[0].wait: a step has one step key; this one already has "
                  "call"));
  EXPECT_THAT(errors_of(with_header("steps:\n  - [at, 0ms]\n")),
              ElementsAre("t.yaml:5:5: steps[0]: expected a mapping, got a list"));
}

TEST(LoadErrors, CallExpectOutcomes) {
  EXPECT_THAT(
      errors_of(with_header(std::string(kOneCall) +
                            "expect: {call: {status: RPC_S_OK, raises: RPC_S_CALL_CANCELLED}}\n")),
      ElementsAre("t.yaml:6:35: expect.call.raises: give one of status, raises and returns; this "
                  "one already has status"));
  EXPECT_THAT(
      errors_of(with_header(std::string(kOneCall) + "expect: {call: {raises: RPC_S_OK}}\n")),
      ElementsAre("t.yaml:6:25: expect.call.raises: RPC_S_OK is not raised; use returns: "
                  "true"));
  EXPECT_THAT(errors_of(with_header(std::string(kOneCall) + "expect: {call: {returns: false}}\n")),
              ElementsAre("t.yaml:6:26: expect.call.returns: returns takes only true; a failure "
                          "is raises or status"));
  EXPECT_THAT(
      errors_of(with_header(std::string(kOneCall) + "expect: {call: {running: true, at: 1s}}\n")),
      ElementsAre("t.yaml:6:17: expect.call.running: a call still running has no status, raises, "
                  "returns or at"));
}

TEST(LoadErrors, ServerExpectForms) {
  EXPECT_THAT(errors_of(with_header(std::string(kOneCall) +
                                    "expect:\n  server: {saw_cancel: true, calls: []}\n")),
              ElementsAre("t.yaml:7:30: expect.server.calls: give the first server call's keys or "
                          "a calls list, not both"));
  EXPECT_THAT(errors_of(with_header(std::string(kOneCall) +
                                    "expect:\n  server: {finished: true, stub_finished: true}\n")),
              ElementsAre("t.yaml:7:28: expect.server.stub_finished: stub_finished is another "
                          "name for finished; give one of them"));
  EXPECT_THAT(
      errors_of(with_header(std::string(kOneCall) +
                            "expect:\n  server: {count: 1, calls: [{opnum: 1}, {opnum: 2}]}\n")),
      ElementsAre("t.yaml:7:19: expect.server.count: 1 is fewer than the 2 server calls "
                  "described"));
  EXPECT_THAT(
      errors_of(with_header(std::string(kOneCall) + "expect:\n  server: {calls: [{count: 1}]}\n")),
      ElementsAre("t.yaml:7:21: expect.server.calls[0].count: unknown key; known keys: "
                  "opnum, saw_cancel, saw_cancel_at, finished, stub_finished, "
                  "finished_at, finished_status, started_at, result, fault_status, polled"));
}

TEST(LoadErrors, FileTooLarge) {
  std::string big = with_header(kOneCall) + "# ";
  big.resize((std::size_t{1} << 20) + 1, 'x');
  EXPECT_THAT(errors_of(big), ElementsAre("t.yaml: file too large (over 1 MiB)"));
}

TEST(LoadErrors, AllErrorsAreCollectedInFileOrder) {
  const auto errors = errors_of(R"(
id: a
title: T
spec: [CS-NOPE]
level: maybe
steps:
  - {at: soon, call: {opnum: -1}}
  - {at: 0ms, cancel: {thread: main, timeout: x}}
)");
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_THAT(errors[0], ::testing::StartsWith("t.yaml:3:8: spec[0]: unknown rule ID"));
  EXPECT_THAT(errors[1], ::testing::StartsWith("t.yaml:4:8: level: unknown level"));
  EXPECT_THAT(errors[2], ::testing::StartsWith("t.yaml:6:10: steps[0].at:"));
  EXPECT_THAT(errors[3], ::testing::StartsWith("t.yaml:6:30: steps[0].call.opnum: -1 is out of"));
  EXPECT_THAT(errors[4], ::testing::StartsWith("t.yaml:7:47: steps[1].cancel.timeout:"));
}

TEST(LoadErrors, NoScenarioWhenThereAreErrors) {
  const Loaded loaded = testing::load(with_header("steps:\n  - {at: x, call: {}}\n"));
  EXPECT_FALSE(loaded.scenario.has_value());
  EXPECT_EQ(loaded.errors.size(), 1u);
}

}  // namespace
}  // namespace rpcfit::scenarios
