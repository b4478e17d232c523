// `rpcfit run` as a user runs it: the real executable on scenario files written into a fresh
// directory, its exit status, and what it prints (verdict lines, the failure summary and its
// replay line, the seed, the totals); and run_command() in this process for the progress line.
#include "harness/cli/run_command.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "harness/cli/cli_test_util.h"

namespace rpcfit::cli {
namespace {

namespace fs = std::filesystem;
using testing::contains;
using testing::deny_scenario;
using testing::lines_of;
using testing::ProcessResult;
using testing::run_process;
using testing::starts_with;

constexpr auto kPatience = std::chrono::seconds(120);

// Scenario runs are fast and forgiving, for a loaded machine.
const std::vector<std::string> kFast = {"--time-scale", "0.2", "--tolerance-scale", "3"};

// The ids of the result lines that start with `verdict` ("PASS", "SKIP", ...), in print order.
std::vector<std::string> ids_with(const std::string& out, const std::string& verdict) {
  std::vector<std::string> ids;
  for (const auto& line : lines_of(out)) {
    if (!starts_with(line, verdict + " ") || line.size() <= 7 || line[6] != ' ') continue;
    const auto w = testing::words_of(line);
    if (w.size() >= 2) ids.push_back(w[1]);
  }
  return ids;
}

std::set<std::string> id_set(const std::vector<std::string>& ids) {
  return {ids.begin(), ids.end()};
}

// The line of `out` that starts with `prefix`; empty when none.
std::string line_starting(const std::string& out, const std::string& prefix) {
  for (const auto& line : lines_of(out))
    if (starts_with(line, prefix)) return line;
  return "";
}

// "file:line:column" of the first `needle` in `text`, as the loader counts (1-based).
std::string position_of(const std::string& file, const std::string& text,
                        const std::string& needle) {
  const auto at = text.find(needle);
  if (at == std::string::npos) return "(not found)";
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(at), '\n');
  const auto line_start = text.rfind('\n', at);
  const auto column = line_start == std::string::npos ? at + 1 : at - line_start;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

class Run : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    return scratch_.write(name, text);
  }

  // `rpcfit args...` with `env` added. Unless the test sets them, the child is told it is shard 0
  // of 1, so that a sharded run of this test does not shard the scenarios.
  ProcessResult rpcfit(std::vector<std::string> args, std::vector<std::string> env = {}) {
    args.insert(args.begin(), RPCFIT_EXECUTABLE);
    const bool sharded = std::any_of(env.begin(), env.end(), [](const std::string& e) {
      return starts_with(e, "GTEST_SHARD_INDEX=") || starts_with(e, "GTEST_TOTAL_SHARDS=");
    });
    if (!sharded) {
      env.push_back("GTEST_SHARD_INDEX=0");
      env.push_back("GTEST_TOTAL_SHARDS=1");
    }
    auto r = run_process(args, env, kPatience);
    EXPECT_FALSE(r.timed_out) << r.out << r.err;
    return r;
  }

  // `rpcfit run <dir> args... --time-scale 0.2 --tolerance-scale 3`.
  // Unless the test gives them, the run folder is a fresh one in the scratch directory, and so is
  // the root of golden captures (which has none).
  ProcessResult run(std::vector<std::string> args, std::vector<std::string> env = {}) {
    const bool has_out = std::find(args.begin(), args.end(), "--out") != args.end();
    args.insert(args.begin(), {"run", dir_.string()});
    args.insert(args.end(), kFast.begin(), kFast.end());
    if (!has_out) {
      args.insert(args.end(), {"--out", (dir_ / ("out-" + std::to_string(++runs_))).string(),
                               "--root", dir_.string()});
    }
    return rpcfit(std::move(args), std::move(env));
  }

  // Five passing scenarios to select from.
  void write_selection_suite() {
    write("a/one.yaml", deny_scenario("a/one", "tags: [red]\n"));
    write("a/two.yaml", deny_scenario("a/two", "tags: [red, blue]\nlevel: should\n"));
    write("b/three.yaml", deny_scenario("b/three", "tags: [blue]\n"));
    write("b/four.yaml", deny_scenario("b/four", "level: should\n"));
    write("c/five.yaml", deny_scenario("c/five"));
  }

  testing::ScratchDir scratch_{"rpcfit-cli-run"};
  const fs::path& dir_ = scratch_.path();
  int runs_ = 0;
};

using RunCommand = Run;
using RunSelection = Run;
using RunSeed = Run;

TEST_F(RunCommand, AllPassingExitsZero) {
  write("deny.yaml", deny_scenario("server/deny"));
  const auto r = run({"-j", "2"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(ids_with(r.out, "PASS"), std::vector<std::string>{"server/deny"}) << r.out;
  EXPECT_TRUE(contains(r.out, "1 run: 1 passed, 0 failed, 0 errors, 0 skipped, 0 xfail, 0 xpass"))
      << r.out;
  EXPECT_FALSE(contains(r.out, "Failures:")) << r.out;
  EXPECT_FALSE(contains(r.out, "Replay:")) << r.out;
}

TEST_F(RunCommand, FailureExitsOneWithTheMismatchAndAReplayThatFailsAlike) {
  const std::string text = deny_scenario("server/deny-ok", "", "RPC_S_OK");
  const std::string file = write("deny-ok.yaml", text);
  write("pass.yaml", deny_scenario("server/deny"));
  // An id below the failing one's: a --filter of the failing id would select it too.
  write("below.yaml", deny_scenario("server/deny-ok/below"));
  const auto r = run({"-j", "2"});
  ASSERT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_EQ(ids_with(r.out, "FAIL"), std::vector<std::string>{"server/deny-ok"}) << r.out;
  EXPECT_EQ(id_set(ids_with(r.out, "PASS")),
            (std::set<std::string>{"server/deny", "server/deny-ok/below"}))
      << r.out;

  // The summary: the failing expectation at its file:line:column, expected and actual.
  const auto summary = r.out.find("\nFailures:\n");
  ASSERT_NE(summary, std::string::npos) << r.out;
  const std::string tail = r.out.substr(summary);
  EXPECT_TRUE(contains(tail, "  FAIL server/deny-ok")) << tail;
  const std::string where = position_of(file, text, "RPC_S_OK");
  EXPECT_TRUE(
      contains(tail, where + ": call c1 status: expected RPC_S_OK, got RPC_S_ACCESS_DENIED"))
      << "want " << where << " in\n"
      << tail;
  EXPECT_FALSE(contains(tail, "server/deny ")) << "a passing scenario is no failure\n" << tail;
  EXPECT_TRUE(contains(r.out, "1 failed")) << r.out;

  // The replay line: the failing scenario's file and the same seed.
  const std::string seed = line_starting(r.out, "rpcfit run: ");
  const std::string replay = line_starting(r.out, "Replay: rpcfit run ");
  ASSERT_FALSE(replay.empty()) << r.out;
  auto words = testing::words_of(replay);
  ASSERT_GE(words.size(), 3u);
  words.erase(words.begin(), words.begin() + 2);  // "Replay:" "rpcfit"
  const auto seed_at = std::find(words.begin(), words.end(), "--seed");
  ASSERT_NE(seed_at, words.end()) << replay;
  ASSERT_NE(seed_at + 1, words.end()) << replay;
  EXPECT_TRUE(contains(seed, "seed " + *(seed_at + 1) + ",")) << seed << "\n" << replay;
  EXPECT_EQ(words.at(1), file) << replay;
  EXPECT_EQ(std::count(words.begin(), words.end(), file), 1) << replay;
  EXPECT_EQ(std::find(words.begin(), words.end(), dir_.string()), words.end()) << replay;
  // Replayed: the same verdict, that scenario alone, the same seed.
  const auto again = rpcfit(words);
  EXPECT_EQ(again.status, 1) << replay << "\n" << again.out << again.err;
  EXPECT_EQ(ids_with(again.out, "FAIL"), std::vector<std::string>{"server/deny-ok"}) << again.out;
  EXPECT_TRUE(ids_with(again.out, "PASS").empty()) << again.out;
  EXPECT_TRUE(contains(again.out, "seed " + *(seed_at + 1) + ",")) << again.out;
  EXPECT_TRUE(contains(again.out, where + ": call c1 status: expected RPC_S_OK")) << again.out;
}

TEST_F(RunCommand, ReplayKeepsTheRepeatAndTheScales) {
  const std::string file = write("deny-ok.yaml", deny_scenario("server/deny-ok", "", "RPC_S_OK"));
  const auto r = run({"--repeat", "2", "-j", "2"});
  ASSERT_EQ(r.status, 1) << r.out << r.err;
  const std::string replay = line_starting(r.out, "Replay: rpcfit run ");
  ASSERT_FALSE(replay.empty()) << r.out;
  EXPECT_TRUE(contains(replay, " --repeat 2")) << replay;
  EXPECT_TRUE(contains(replay, " --time-scale 0.2")) << replay;
  EXPECT_TRUE(contains(replay, " --tolerance-scale 3")) << replay;
  auto words = testing::words_of(replay);
  EXPECT_EQ(std::count(words.begin(), words.end(), file), 1)
      << "each failing file once, however many of its runs failed: " << replay;
  words.erase(words.begin(), words.begin() + 2);
  const auto again = rpcfit(words);
  EXPECT_EQ(again.status, 1) << again.out << again.err;
  EXPECT_EQ(ids_with(again.out, "FAIL"),
            (std::vector<std::string>{"server/deny-ok", "server/deny-ok"}))
      << again.out;
  EXPECT_TRUE(contains(again.out, "time scale 0.2")) << again.out;
}

TEST_F(RunCommand, XpassExitsOne) {
  const std::string file =
      write("xpass.yaml", deny_scenario("server/xpass", "xfail: known bug 42\n"));
  const auto r = run({});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_EQ(ids_with(r.out, "XPASS"), std::vector<std::string>{"server/xpass"}) << r.out;
  EXPECT_TRUE(contains(r.out, "known bug 42")) << r.out;
  EXPECT_TRUE(contains(r.out, "\nFailures:\n  XPASS server/xpass")) << r.out;
  EXPECT_TRUE(contains(r.out, "Replay: rpcfit run " + file + " --seed ")) << r.out;
  EXPECT_TRUE(contains(r.out, "0 failed, 0 errors, 0 skipped, 0 xfail, 1 xpass")) << r.out;
}

TEST_F(RunCommand, XfailExitsZero) {
  write("xfail.yaml", deny_scenario("server/xfail", "xfail: known bug 43\n", "RPC_S_OK"));
  const auto r = run({});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(ids_with(r.out, "XFAIL"), std::vector<std::string>{"server/xfail"}) << r.out;
  EXPECT_TRUE(contains(r.out, "known bug 43")) << r.out;
  EXPECT_TRUE(contains(r.out, "expected RPC_S_OK, got RPC_S_ACCESS_DENIED")) << r.out;
  EXPECT_FALSE(contains(r.out, "Failures:")) << r.out;
  EXPECT_TRUE(contains(r.out, "0 failed, 0 errors, 0 skipped, 1 xfail, 0 xpass")) << r.out;
}

TEST_F(RunCommand, ErrorExitsOne) {
  // A file where the scenario's capture folder must go: its capture cannot be made, which is
  // harness trouble.
  write("deny.yaml", deny_scenario("server/deny"));
  const fs::path out = dir_ / "out";
  write("out/server", "a file, not a directory");
  const auto r = run({"--out", out.string()});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_EQ(ids_with(r.out, "ERROR"), std::vector<std::string>{"server/deny"}) << r.out;
  EXPECT_TRUE(contains(r.out, "harness: --out: ")) << r.out;
  EXPECT_TRUE(contains(r.out, "\nFailures:\n  ERROR server/deny")) << r.out;
  EXPECT_TRUE(contains(r.out, "0 passed, 0 failed, 1 errors")) << r.out;
}

TEST_F(RunCommand, ARunFolderThatCannotBeMadeExitsTwoAndRunsNothing) {
  write("deny.yaml", deny_scenario("server/deny"));
  const std::string blocker = write("blocker", "a file, not a directory");
  const auto r = run({"--out", blocker + "/out"});
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "cannot make the run folder " + blocker + "/out")) << r.err;
  EXPECT_TRUE(ids_with(r.out, "PASS").empty()) << r.out;
}

TEST_F(RunCommand, SkipExitsZeroAndSaysWhy) {
  write("skip.yaml", deny_scenario("server/skip", "skip: the lab printer is on fire\n"));
  const auto r = run({});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(ids_with(r.out, "SKIP"), std::vector<std::string>{"server/skip"}) << r.out;
  EXPECT_TRUE(contains(r.out, "the lab printer is on fire")) << r.out;
  EXPECT_TRUE(contains(r.out, "1 run: 0 passed, 0 failed, 0 errors, 1 skipped")) << r.out;
}

TEST_F(RunCommand, AnInvalidScenarioFileExitsTwoAndRunsNothing) {
  write("good.yaml", deny_scenario("server/good"));
  const std::string bad_text =
      "id: server/bad\ntitle: bad\nspec: [CS-SRV-7]\nserver: {behaviour: hang}\n"
      "steps:\n  - {at: 0ms, call: {id: c1}}\n";
  const std::string bad = write("bad.yaml", bad_text);
  const auto r = run({});
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  const std::string where = position_of(bad, bad_text, "hang");
  EXPECT_TRUE(contains(r.err, where + ": server.behaviour: unknown behaviour \"hang\"")) << r.err;
  EXPECT_TRUE(contains(r.err, "nothing run")) << r.err;
  EXPECT_TRUE(ids_with(r.out, "PASS").empty()) << r.out;
  EXPECT_FALSE(contains(r.out, "rpcfit run:")) << r.out;
}

TEST_F(RunCommand, UsageErrorsExitTwo) {
  write("deny.yaml", deny_scenario("server/deny"));
  const std::vector<std::vector<std::string>> usages = {
      {"--level", "bogus"},         {"--shard", "3/2"},         {"--shard", "two"},
      {"--time-scale", "0"},        {"--tolerance-scale", "0"}, {"--time-scale", "inf"},
      {"--tolerance-scale", "inf"}, {"--no-such-option"},       {"--driver", "wine"},
  };
  for (const auto& usage : usages) {
    std::vector<std::string> args = {"run", dir_.string()};
    args.insert(args.end(), usage.begin(), usage.end());
    const auto r = rpcfit(args);
    EXPECT_EQ(r.status, 2) << usage[0] << "\n" << r.out << r.err;
    EXPECT_FALSE(r.err.empty()) << usage[0];
    EXPECT_TRUE(ids_with(r.out, "PASS").empty()) << usage[0] << "\n" << r.out;
  }
  const auto level = rpcfit({"run", dir_.string(), "--level", "bogus"});
  EXPECT_TRUE(contains(level.err, "--level: expected must or should, got \"bogus\"")) << level.err;
  const auto driver = rpcfit({"run", dir_.string(), "--driver", "wine"});
  EXPECT_TRUE(contains(driver.err, "--driver: no driver \"wine\" (known: inproc)")) << driver.err;
}

// The driver is chosen by name, and the report says which one played the scenarios.
TEST_F(RunCommand, TheDriverIsChosenByNameAndReported) {
  write("deny.yaml", deny_scenario("server/deny"));
  const auto r = run({"--driver", "inproc", "--out", (dir_ / "out").string()});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  std::ifstream report(dir_ / "out" / "report.json");
  std::stringstream text;
  text << report.rdbuf();
  EXPECT_TRUE(contains(text.str(), "\"driver\": \"inproc\"")) << text.str().substr(0, 400);
}

TEST_F(RunCommand, AnEmptySelectionExitsThree) {
  write("deny.yaml", deny_scenario("server/deny"));
  const auto r = run({"--filter", "nothing/here"});
  EXPECT_EQ(r.status, 3) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "no scenario selected (1 loaded from 1 file(s))")) << r.err;
  EXPECT_TRUE(ids_with(r.out, "PASS").empty()) << r.out;
}

TEST_F(RunCommand, FailFastSkipsWhatIsLeft) {
  write("first.yaml", deny_scenario("a/first", "", "RPC_S_OK"));
  write("second.yaml", deny_scenario("b/second"));
  const auto r = run({"-j", "1", "--fail-fast"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_EQ(ids_with(r.out, "FAIL"), std::vector<std::string>{"a/first"}) << r.out;
  EXPECT_EQ(ids_with(r.out, "SKIP"), std::vector<std::string>{"b/second"}) << r.out;
  EXPECT_TRUE(contains(r.out, "not run")) << r.out;
  EXPECT_TRUE(contains(r.out, "2 runs: 0 passed, 1 failed, 0 errors, 1 skipped")) << r.out;
  // Without --fail-fast the second one runs.
  const auto all = run({"-j", "1"});
  EXPECT_EQ(all.status, 1) << all.out << all.err;
  EXPECT_EQ(ids_with(all.out, "PASS"), std::vector<std::string>{"b/second"}) << all.out;
}

TEST_F(RunCommand, OutWritesAPcapPerScenarioThatCaptureDumpReads) {
  write("deny.yaml", deny_scenario("server/deny"));
  const fs::path out = dir_ / "captures-out";
  const auto r = run({"--out", out.string()});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const fs::path pcap = out / "server" / "deny" / "capture.pcap";
  ASSERT_TRUE(fs::is_regular_file(pcap)) << pcap;
  EXPECT_GT(fs::file_size(pcap), 24u) << "more than a pcap header";
  std::ifstream in(pcap, std::ios::binary);
  unsigned char magic[4] = {};
  in.read(reinterpret_cast<char*>(magic), 4);
  const std::set<unsigned> pcap_magic = {0xa1b2c3d4u, 0xd4c3b2a1u, 0xa1b23c4du, 0x4d3cb2a1u};
  const unsigned le = static_cast<unsigned>(magic[0]) | static_cast<unsigned>(magic[1]) << 8 |
                      static_cast<unsigned>(magic[2]) << 16 | static_cast<unsigned>(magic[3]) << 24;
  EXPECT_EQ(pcap_magic.count(le), 1u) << std::hex << le;

  const auto dump = rpcfit({"capture", "dump", pcap.string()});
  ASSERT_EQ(dump.status, 0) << dump.out << dump.err;
  const auto pdus = lines_of(dump.out);
  ASSERT_GE(pdus.size(), 4u) << dump.out;
  EXPECT_TRUE(contains(pdus[0], "tcp  bind ")) << dump.out;
  EXPECT_TRUE(contains(pdus[1], "tcp  bind_ack ")) << dump.out;
  EXPECT_TRUE(contains(pdus[2], "tcp  request ")) << dump.out;
  EXPECT_TRUE(contains(pdus[2], "opnum=5")) << dump.out;
  EXPECT_TRUE(contains(pdus[3], "tcp  fault ")) << dump.out;
  EXPECT_TRUE(contains(pdus[3], "status=access_denied")) << dump.out;
}

TEST_F(RunSelection, FilterExcludeTagAndLevelPick) {
  write_selection_suite();
  const std::set<std::string> everything = {"a/one", "a/two", "b/three", "b/four", "c/five"};
  EXPECT_EQ(id_set(ids_with(run({}).out, "PASS")), everything);

  struct Case {
    std::vector<std::string> args;
    std::set<std::string> ids;
  };
  const std::vector<Case> cases = {
      {{"--filter", "a"}, {"a/one", "a/two"}},
      {{"--filter", "a/o*"}, {"a/one"}},
      {{"--filter", "a/one", "--filter", "c/*"}, {"a/one", "c/five"}},
      {{"--exclude", "b"}, {"a/one", "a/two", "c/five"}},
      {{"--filter", "a", "--exclude", "*/two"}, {"a/one"}},
      {{"--tag", "blue"}, {"a/two", "b/three"}},
      {{"--tag", "blue", "--tag", "red"}, {"a/two"}},
      {{"--level", "should"}, {"a/two", "b/four"}},
      {{"--level", "must"}, {"a/one", "b/three", "c/five"}},
      {{"--level", "must", "--tag", "red"}, {"a/one"}},
  };
  for (const auto& c : cases) {
    const auto r = run(c.args);
    EXPECT_EQ(r.status, 0) << c.args[0] << " " << c.args[1] << "\n" << r.out << r.err;
    EXPECT_EQ(id_set(ids_with(r.out, "PASS")), c.ids) << c.args[0] << " " << c.args[1] << "\n"
                                                      << r.out;
    EXPECT_TRUE(contains(r.out, "rpcfit run: " + std::to_string(c.ids.size()) + " scenario(s)"))
        << r.out;
  }
}

TEST_F(RunSelection, ShardsPartitionInIdOrder) {
  write_selection_suite();
  // In id order: a/one a/two b/four b/three c/five; the k-th goes to shard k mod 2.
  const auto zero = run({"--shard", "0/2"});
  const auto one = run({"--shard", "1/2"});
  EXPECT_EQ(zero.status, 0) << zero.out << zero.err;
  EXPECT_EQ(one.status, 0) << one.out << one.err;
  EXPECT_EQ(id_set(ids_with(zero.out, "PASS")),
            (std::set<std::string>{"a/one", "b/four", "c/five"}))
      << zero.out;
  EXPECT_EQ(id_set(ids_with(one.out, "PASS")), (std::set<std::string>{"a/two", "b/three"}))
      << one.out;
}

TEST_F(RunSelection, GoogleTestShardingVariablesShardWithoutShardOption) {
  write_selection_suite();
  for (const std::string index : {"0", "1"}) {
    const fs::path status = dir_ / ("shard-status-" + index);
    ASSERT_FALSE(fs::exists(status));
    const auto by_env = run({}, {"GTEST_SHARD_INDEX=" + index, "GTEST_TOTAL_SHARDS=2",
                                 "GTEST_SHARD_STATUS_FILE=" + status.string()});
    const auto by_option = run({"--shard", index + "/2"});
    EXPECT_EQ(by_env.status, 0) << by_env.out << by_env.err;
    EXPECT_EQ(id_set(ids_with(by_env.out, "PASS")), id_set(ids_with(by_option.out, "PASS")))
        << by_env.out << by_option.out;
    EXPECT_LT(ids_with(by_env.out, "PASS").size(), 5u) << by_env.out;
    EXPECT_TRUE(fs::exists(status)) << "GoogleTest's sharding protocol: the status file";
  }
  // A shard that gets nothing of a non-empty selection has passed, as in GoogleTest.
  const auto empty = run({}, {"GTEST_SHARD_INDEX=6", "GTEST_TOTAL_SHARDS=7"});
  EXPECT_EQ(empty.status, 0) << empty.out << empty.err;
  EXPECT_TRUE(contains(empty.out, "rpcfit run: shard 6/7 has no scenario of the 5 selected"))
      << empty.out;
  EXPECT_EQ(run({"--shard", "5/7"}).status, 0);
  // An empty selection before sharding is still one.
  EXPECT_EQ(run({"--shard", "0/7", "--filter", "nothing"}).status, 3);
  // --shard wins over the environment.
  const auto both = run({"--shard", "0/1"}, {"GTEST_SHARD_INDEX=1", "GTEST_TOTAL_SHARDS=2"});
  EXPECT_EQ(ids_with(both.out, "PASS").size(), 5u) << both.out;
  // Variables that name no shard are a usage error.
  const auto bad = run({}, {"GTEST_SHARD_INDEX=2", "GTEST_TOTAL_SHARDS=2"});
  EXPECT_EQ(bad.status, 2) << bad.out << bad.err;
}

TEST_F(RunSeed, TheSeedIsPrintedAndGivenSeedsAreUsed) {
  write("deny.yaml", deny_scenario("server/deny"));
  const auto fresh = run({});
  ASSERT_EQ(fresh.status, 0) << fresh.out << fresh.err;
  const std::string header = line_starting(fresh.out, "rpcfit run: 1 scenario(s), seed ");
  ASSERT_FALSE(header.empty()) << fresh.out;
  const auto seed_start = header.find("seed ") + 5;
  const std::string seed = header.substr(seed_start, header.find(',', seed_start) - seed_start);
  ASSERT_FALSE(seed.empty());
  EXPECT_EQ(seed.find_first_not_of("0123456789"), std::string::npos) << header;
  EXPECT_TRUE(contains(fresh.out, "(seed " + seed + ")\n")) << fresh.out;

  const auto given = run({"--seed", "12345"});
  ASSERT_EQ(given.status, 0) << given.out << given.err;
  EXPECT_TRUE(starts_with(given.out, "rpcfit run: 1 scenario(s), seed 12345, ")) << given.out;
  EXPECT_TRUE(contains(given.out, "(seed 12345)\n")) << given.out;
}

TEST_F(RunSeed, RepeatRunsEachScenarioThatManyTimes) {
  write("deny.yaml", deny_scenario("server/deny"));
  write("other.yaml", deny_scenario("server/other"));
  const auto r = run({"--repeat", "2", "--seed", "7"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(starts_with(r.out, "rpcfit run: 2 scenario(s) x 2, seed 7,")) << r.out;
  auto passed = ids_with(r.out, "PASS");
  EXPECT_EQ(passed.size(), 4u) << r.out;
  for (const std::string id : {"server/deny", "server/other"}) {
    EXPECT_NE(line_starting(r.out, "PASS   " + id + " #1  "), "") << r.out;
    EXPECT_NE(line_starting(r.out, "PASS   " + id + " #2  "), "") << r.out;
  }
  EXPECT_TRUE(contains(r.out, "4 runs: 4 passed")) << r.out;
}

// run_command() itself, with the live progress line a terminal gets.
TEST_F(RunCommand, ProgressLineOnATerminal) {
  write("deny.yaml", deny_scenario("server/deny"));
  RunOptions o;
  o.paths = {dir_.string()};
  o.time_scale = 0.2;
  o.tolerance_scale = 3;
  o.selection.shard = "0/1";  // not GTEST_* of this test's environment
  o.out = (dir_ / "out").string();
  o.root = dir_.string();
  o.jobs = 1;
  o.progress = true;
  std::ostringstream out, err;
  EXPECT_EQ(run_command(o, out, err), 0) << out.str() << err.str();
  EXPECT_TRUE(contains(out.str(), "\r\033[K[1/1] 1 passed, 0 failed, ")) << out.str();
  EXPECT_FALSE(contains(out.str(), "PASS   server/deny")) << "a pass has no line of its own\n"
                                                          << out.str();
  EXPECT_TRUE(contains(out.str(), "1 run: 1 passed")) << out.str();

  // What does not pass is still printed, above the progress line.
  write("fail.yaml", deny_scenario("server/fail", "", "RPC_S_OK"));
  std::ostringstream out2, err2;
  EXPECT_EQ(run_command(o, out2, err2), 1) << out2.str() << err2.str();
  const std::string text = out2.str();
  EXPECT_TRUE(contains(text, "\r\033[KFAIL   server/fail  ")) << text;
  EXPECT_TRUE(contains(text, "expected RPC_S_OK, got RPC_S_ACCESS_DENIED")) << text;
  EXPECT_TRUE(contains(text, "[2/2] 1 passed, 1 failed, ")) << text;
  EXPECT_TRUE(contains(text, "\nFailures:\n")) << text;
}

}  // namespace
}  // namespace rpcfit::cli

namespace rpcfit::cli {
namespace {

const std::string kStdlibAgent =
    std::string("/usr/bin/python3 ") + RPCFIT_SOURCE_DIR + "/drivers/agent/agents/stdlib_agent.py";

// --client-agent plays at time scale 1: a smaller one is refused before anything runs.
TEST_F(RunCommand, AClientAgentRefusesAnotherTimeScale) {
  write("deny.yaml", deny_scenario("server/deny"));
  const auto r = rpcfit({"run", dir_.string(), "--client-agent", kStdlibAgent, "--time-scale",
                         "0.2", "--out", (dir_ / "out").string()});
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "plays at time scale 1")) << r.err;
  EXPECT_TRUE(ids_with(r.out, "PASS").empty()) << r.out;
}

// Through an agent, the run's header and every report say who played each role.
TEST_F(RunCommand, ReportsNameTheAgentThatPlayedTheClient) {
  write("deny.yaml", deny_scenario("server/deny"));
  const auto out = dir_ / "agent-out";
  const auto r = rpcfit({"run", dir_.string(), "--client-agent", kStdlibAgent, "--out",
                         out.string(), "--root", dir_.string()});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "client under test: " + kStdlibAgent)) << r.out;
  auto read = [&](const char* name) {
    std::ifstream in(out / name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  EXPECT_TRUE(contains(read("report.json"), "\"implementation\": \"python-stdlib-co\""));
  EXPECT_TRUE(
      contains(read("junit.xml"), "name=\"client.implementation\" value=\"python-stdlib-co\""));
  EXPECT_TRUE(contains(read("report.html"), "client: agent `" + kStdlibAgent));
  EXPECT_TRUE(contains(read("summary.md"), "client: agent ` " + kStdlibAgent + " `"))
      << read("summary.md");
}

TEST_F(RunCommand, KnownFailuresTurnAFailIntoAnXfailAndAPassIntoAnXpass) {
  write("deny-ok.yaml", deny_scenario("server/deny-ok", "", "RPC_S_OK"));
  write("deny.yaml", deny_scenario("server/deny"));
  const std::string known = write("known.txt",
                                  "# the target's\n"
                                  "server/deny-ok  denies as it should, unlike the scenario\n"
                                  "server/deny     fixed since\n");
  const auto r = run({"--known-failures", known});
  EXPECT_EQ(r.status, 1) << r.out << r.err;  // the XPASS fails the run
  EXPECT_EQ(ids_with(r.out, "XFAIL"), std::vector<std::string>{"server/deny-ok"}) << r.out;
  EXPECT_EQ(ids_with(r.out, "XPASS"), std::vector<std::string>{"server/deny"}) << r.out;
  EXPECT_TRUE(contains(r.out, "known.txt:3: fixed since")) << r.out;
  const auto broken = run({"--known-failures", write("bad.txt", "server/deny\n")});
  EXPECT_EQ(broken.status, 2) << broken.out << broken.err;
  EXPECT_TRUE(contains(broken.err, "bad.txt:1: server/deny: a known failure needs its reason"))
      << broken.err;
}

}  // namespace
}  // namespace rpcfit::cli
