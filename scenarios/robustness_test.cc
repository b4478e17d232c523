// Bad input never crashes, hangs or costs unbounded memory: damaged copies of a valid file,
// pathological nesting and aliases, and floods of errors. (fuzz_loader.cc goes further under
// the clang-fuzz preset.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "scenarios/loader.h"
#include "scenarios/test_util.h"

namespace rpcfit::scenarios {
namespace {

using ::testing::SizeIs;

constexpr std::string_view kText =
    "id: a/b\ntitle: T\nspec: [CS-TMO-2]\nserver: {behaviour: hung, ops: {1: {delay: 1s}}}\n"
    "faults: ['drop,pdu=co_cancel']\nclient: {access: [THREAD_SET_CONTEXT], cancel_timeout: 2}\n"
    "steps:\n  - {at: 0ms, call: {id: c1, in_hex: '0102', async: true}}\n"
    "  - {at: 0ms, open_thread: {handle: h, thread: main}}\n"
    "  - {at: 5ms, cancel: {handle: h, timeout: 1, expect: RPC_S_OK}}\n"
    "  - {at: 6ms, async_cancel: {call: c1}}\n  - {at: 7ms, wait: {call: c1}}\n"
    "expect:\n  calls: {c1: {status: RPC_S_CALL_CANCELLED, at: 10ms}}\n"
    "  server: {calls: [{saw_cancel: true, result: fault}]}\n"
    "  wire: {match: ordered, pdus: [{dir: out, pdu: request, opnum: 0}]}\n";

// A load either gives a scenario or says why not.
void expect_sane(std::string_view text) {
  const Loaded loaded = load_scenario_text(text, "t.yaml");
  EXPECT_NE(loaded.scenario.has_value(), !loaded.errors.empty()) << text;
  for (const LoadError& e : loaded.errors)
    EXPECT_FALSE(to_string(e).empty());
}

TEST(Robustness, TheBaseTextIsValid) {
  const Loaded loaded = load_scenario_text(kText, "t.yaml");
  EXPECT_TRUE(loaded.scenario.has_value()) << to_string(loaded.errors.at(0));
}

TEST(Robustness, EveryPrefix) {
  for (std::size_t n = 0; n <= kText.size(); ++n)
    expect_sane(kText.substr(0, n));
}

TEST(Robustness, EveryByteReplaced) {
  for (std::size_t i = 0; i < kText.size(); ++i) {
    for (char c : {'{', ':', '-', '\0', '\xff'}) {
      std::string text(kText);
      text[i] = c;
      expect_sane(text);
    }
  }
}

TEST(Robustness, DeepNestingIsASyntaxError) {
  const std::string deep = "id: " + std::string(100000, '[');
  const Loaded loaded = load_scenario_text(deep, "t.yaml");
  ASSERT_THAT(loaded.errors, SizeIs(1));
  EXPECT_THAT(loaded.errors[0].message, ::testing::StartsWith("YAML syntax error: "));
}

TEST(Robustness, AliasesAreNotExpanded) {
  // Each level names the previous one ten times: 10^8 leaves if anything walked them.
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 8; ++i) {
    const std::string prev = "*a" + std::to_string(i - 1);
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j)
      text += (j ? ", " : "") + prev;
    text += "]\n";
  }
  text += "id: a/b\ntitle: T\nspec: *a8\ntags: *a8\nsteps: *a8\nfaults: *a8\n";
  const Loaded loaded = load_scenario_text(text, "t.yaml");
  EXPECT_FALSE(loaded.scenario.has_value());
  EXPECT_LE(loaded.errors.size(), 101u);
}

TEST(Robustness, ErrorsAreCapped) {
  std::string text = testing::with_header("steps: [{at: 0ms, call: {}}]\n");
  for (int i = 0; i < 500; ++i)
    text += "unknown" + std::to_string(i) + ": 1\n";
  const Loaded loaded = load_scenario_text(text, "t.yaml");
  ASSERT_THAT(loaded.errors, SizeIs(101));
  EXPECT_EQ(to_string(loaded.errors.back()), "t.yaml: and 400 more errors, not shown");
  EXPECT_EQ(to_string(loaded.errors.front()),
            "t.yaml:5:1: unknown0: unknown key; known keys: id, title, spec, level, tags, "
            "protseq, server, faults, client, timing, timeout, steps, expect, capture, xfail, "
            "skip");
}

TEST(Robustness, LargeButAllowedPayloads) {
  const Loaded loaded = testing::load(testing::with_header(
      "server: {response_size: 16777216}\nsteps:\n  - {at: 0ms, call: {in_bytes: 16777216}}\n"));
  ASSERT_TRUE(loaded.scenario.has_value());
  EXPECT_EQ(loaded.scenario->steps[0].input.size(), std::size_t{16} << 20);
}

}  // namespace
}  // namespace rpcfit::scenarios
