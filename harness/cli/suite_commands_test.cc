// `rpcfit list` and `rpcfit validate` as a user runs them, on scenario files written into a fresh
// directory; and `rpcfit run` over the committed suite (scenarios/).
#include "harness/cli/suite_commands.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/cli/cli_test_util.h"

#ifndef RPCFIT_SCENARIOS_DIR
#define RPCFIT_SCENARIOS_DIR RPCFIT_SOURCE_DIR "/scenarios"
#endif

namespace rpcfit::cli {
namespace {

namespace fs = std::filesystem;
using testing::contains;
using testing::deny_scenario;
using testing::lines_of;
using testing::ProcessResult;
using testing::run_process;

constexpr auto kPatience = std::chrono::seconds(120);

// `rpcfit args...`, told it is shard 0 of 1 (so that a sharded run of this test shards nothing).
ProcessResult rpcfit(std::vector<std::string> args, std::chrono::seconds limit = kPatience) {
  args.insert(args.begin(), RPCFIT_EXECUTABLE);
  auto r = run_process(args, {"GTEST_SHARD_INDEX=0", "GTEST_TOTAL_SHARDS=1"}, limit);
  EXPECT_FALSE(r.timed_out) << r.out << r.err;
  return r;
}

class SuiteFiles : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    return scratch_.write(name, text);
  }

  // Four scenarios in four files (one of them .yml).
  void write_suite() {
    write("a/one.yaml", deny_scenario("a/one", "tags: [red]\n"));
    write("a/two.yaml",
          deny_scenario("a/two", "tags: [red, blue]\nlevel: should\nxfail: known bug 7\n"));
    write("b/three.yml", deny_scenario("b/three", "tags: [blue]\nprotseq: ncacn_np\n",
                                       "RPC_S_ACCESS_DENIED", "[CS-SRV-7, CS-OK-1]"));
    write("c/four.yaml", deny_scenario("c/four", "skip: not here\n"));
  }

  std::string dir() const { return dir_.string(); }

  testing::ScratchDir scratch_{"rpcfit-cli-suite"};
  const fs::path& dir_ = scratch_.path();
};

using ListCommand = SuiteFiles;
using ValidateCommand = SuiteFiles;

// The ids listed, one per line (the first word).
std::vector<std::string> listed_ids(const std::string& out) {
  std::vector<std::string> ids;
  for (const auto& line : lines_of(out)) {
    const auto w = testing::words_of(line);
    if (!w.empty()) ids.push_back(w[0]);
  }
  return ids;
}

TEST_F(ListCommand, OneLinePerScenarioWithLevelTagsRulesAndTitle) {
  write_suite();
  const auto r = rpcfit({"list", dir()});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(lines_of(r.out), (std::vector<std::string>{
                                 "a/one  must  [red]  CS-SRV-7  Deny a/one",
                                 "a/two  should  [red,blue]  CS-SRV-7  Deny a/two",
                                 "b/three  must  [blue]  CS-SRV-7,CS-OK-1  Deny b/three",
                                 "c/four  must  []  CS-SRV-7  Deny c/four",
                             }))
      << r.out;
}

TEST_F(ListCommand, JsonIsAnArrayOfScenarioObjects) {
  write_suite();
  const auto r = rpcfit({"list", dir(), "--json"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const auto all = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(all.is_discarded()) << r.out;
  ASSERT_TRUE(all.is_array()) << r.out;
  ASSERT_EQ(all.size(), 4u) << r.out;
  for (const auto& s : all) {
    for (const char* key :
         {"id", "title", "file", "level", "tags", "spec", "protseq", "xfail", "skip"}) {
      EXPECT_TRUE(s.contains(key)) << key << " in " << s.dump();
    }
  }
  const auto& one = all[0];
  EXPECT_EQ(one["id"], "a/one");
  EXPECT_EQ(one["title"], "Deny a/one");
  EXPECT_EQ(one["file"], (dir_ / "a" / "one.yaml").string());
  EXPECT_EQ(one["level"], "must");
  EXPECT_EQ(one["tags"], nlohmann::json({"red"}));
  EXPECT_EQ(one["spec"], nlohmann::json({"CS-SRV-7"}));
  EXPECT_EQ(one["protseq"], "ncacn_ip_tcp");
  EXPECT_TRUE(one["xfail"].is_null());
  EXPECT_TRUE(one["skip"].is_null());

  const auto& two = all[1];
  EXPECT_EQ(two["id"], "a/two");
  EXPECT_EQ(two["level"], "should");
  EXPECT_EQ(two["tags"], nlohmann::json({"red", "blue"}));
  EXPECT_EQ(two["xfail"], "known bug 7");
  EXPECT_TRUE(two["skip"].is_null());

  const auto& three = all[2];
  EXPECT_EQ(three["id"], "b/three");
  EXPECT_EQ(three["file"], (dir_ / "b" / "three.yml").string());
  EXPECT_EQ(three["spec"], nlohmann::json({"CS-SRV-7", "CS-OK-1"}));
  EXPECT_EQ(three["protseq"], "ncacn_np");

  const auto& four = all[3];
  EXPECT_EQ(four["id"], "c/four");
  EXPECT_EQ(four["tags"], nlohmann::json::array());
  EXPECT_EQ(four["skip"], "not here");
  EXPECT_TRUE(four["xfail"].is_null());
}

TEST_F(ListCommand, FiltersApply) {
  write_suite();
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> ids;
  };
  const std::vector<Case> cases = {
      {{"--filter", "a"}, {"a/one", "a/two"}},
      {{"--filter", "*/t*"}, {"a/two", "b/three"}},
      {{"--exclude", "a/*"}, {"b/three", "c/four"}},
      {{"--tag", "blue"}, {"a/two", "b/three"}},
      {{"--tag", "blue", "--tag", "red"}, {"a/two"}},
      {{"--level", "should"}, {"a/two"}},
      {{"--level", "must", "--exclude", "c"}, {"a/one", "b/three"}},
  };
  for (const auto& c : cases) {
    const auto text = rpcfit([&] {
      std::vector<std::string> args = {"list", dir()};
      args.insert(args.end(), c.args.begin(), c.args.end());
      return args;
    }());
    EXPECT_EQ(text.status, 0) << c.args[0] << " " << c.args[1] << "\n" << text.err;
    EXPECT_EQ(listed_ids(text.out), c.ids) << c.args[0] << " " << c.args[1] << "\n" << text.out;

    std::vector<std::string> args = {"list", dir(), "--json"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const auto json = rpcfit(args);
    EXPECT_EQ(json.status, 0) << json.err;
    const auto all = nlohmann::json::parse(json.out, nullptr, false);
    ASSERT_TRUE(all.is_array()) << json.out;
    std::vector<std::string> ids;
    for (const auto& s : all)
      ids.push_back(s["id"].get<std::string>());
    EXPECT_EQ(ids, c.ids) << c.args[0] << " " << c.args[1] << "\n" << json.out;
  }
}

TEST_F(ListCommand, AnEmptySelectionExitsThree) {
  write_suite();
  const auto r = rpcfit({"list", dir(), "--filter", "nothing"});
  EXPECT_EQ(r.status, 3) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(contains(r.err, "no scenario selected")) << r.err;
  const auto json = rpcfit({"list", dir(), "--json", "--tag", "green"});
  EXPECT_EQ(json.status, 3) << json.out << json.err;

  fs::create_directories(dir_ / "empty");
  const auto empty = rpcfit({"list", (dir_ / "empty").string()});
  EXPECT_EQ(empty.status, 3) << empty.out << empty.err;
}

TEST_F(ListCommand, UsageErrorsAndInvalidFilesExitTwo) {
  write_suite();
  const auto level = rpcfit({"list", dir(), "--level", "bogus"});
  EXPECT_EQ(level.status, 2) << level.out << level.err;
  EXPECT_TRUE(contains(level.err, "--level: expected must or should, got \"bogus\"")) << level.err;
  EXPECT_EQ(rpcfit({"list", dir(), "--no-such-option"}).status, 2);

  const std::string bad = write("z/bad.yaml",
                                "id: z/bad\ntitle: bad\nspec: [CS-SRV-7]\nprotseq: ncacn_ip_tpc\n"
                                "steps:\n  - {at: 0ms, call: {id: c1}}\n");
  const auto r = rpcfit({"list", dir()});
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, bad + ":4:10: protseq: unknown protocol sequence \"ncacn_ip_tpc\""))
      << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(ListCommand, CoverageListsEachRuleWithItsScenarios) {
  write_suite();
  const auto r = rpcfit({"list", dir(), "--coverage"});
  EXPECT_EQ(r.status, 1) << "rules without a scenario\n" << r.out << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 43u) << r.out;  // 42 rules and the verdict
  // a/two is a known failure and c/four is skipped: neither covers a rule.
  EXPECT_EQ(lines[0], "CS-ARG-1    must   client-api   0  (none)");
  EXPECT_TRUE(contains(r.out, "\nCS-OK-1     must   client-api   1  b/three\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "\nCS-SRV-7    must   server       2  a/one b/three\n")) << r.out;
  EXPECT_TRUE(testing::starts_with(lines.back(), "40 of the 42 rules have no scenario: CS-ARG-1 "))
      << lines.back();

  const auto j = rpcfit({"list", dir(), "--coverage", "--json"});
  EXPECT_EQ(j.status, 1);
  const auto doc = nlohmann::json::parse(j.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << j.out;
  ASSERT_EQ(doc["rules"].size(), 42u);
  EXPECT_EQ(doc["uncovered"].size(), 40u);
  for (const auto& rule : doc["rules"]) {
    if (rule["rule"] != "CS-SRV-7") continue;
    EXPECT_EQ(rule["scenarios"], nlohmann::json({"a/one", "b/three"}));
    EXPECT_EQ(rule["area"], "server");
  }

  // Coverage of a selection: only what is selected counts.
  const auto some = rpcfit({"list", dir(), "--coverage", "--filter", "a"});
  EXPECT_TRUE(contains(some.out, "\nCS-SRV-7    must   server       1  a/one\n")) << some.out;
}

TEST_F(ValidateCommand, ValidFilesSaySo) {
  write_suite();
  write("notes.txt", "not a scenario");
  const auto r = rpcfit({"validate", dir()});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "4 file(s), 4 scenario(s): valid\n");
  EXPECT_EQ(r.err, "");

  const auto one = rpcfit({"validate", (dir_ / "a" / "one.yaml").string()});
  EXPECT_EQ(one.status, 0) << one.out << one.err;
  EXPECT_EQ(one.out, "1 file(s), 1 scenario(s): valid\n");
}

TEST_F(ValidateCommand, AnInvalidFileIsReportedAtItsPositionAndExitsTwo) {
  write_suite();
  const std::string bad =
      write("z/bad.yaml",
            "id: z/bad\ntitle: bad\nspec: [CS-SRV-7]\nserver: {behaviour: hang}\nsteps:\n"
            "  - {at: 100, call: {id: c1}}\n");
  const auto r = rpcfit({"validate", dir()});
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(contains(r.err, bad + ":4:21: server.behaviour: unknown behaviour \"hang\""))
      << r.err;
  EXPECT_TRUE(contains(r.err, bad + ":6:10: steps[0].at: expected a duration")) << r.err;
  EXPECT_TRUE(contains(r.err, "rpcfit: validate: 2 problem(s) in 5 file(s)")) << r.err;
}

TEST_F(ValidateCommand, TwoFilesWithOneIdAreAnError) {
  write("first.yaml", deny_scenario("x/same"));
  write("second.yaml", deny_scenario("x/same"));
  const auto r = rpcfit({"validate", dir()});
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "duplicate scenario id \"x/same\"")) << r.err;
  EXPECT_TRUE(contains(r.err, (dir_ / "first.yaml").string())) << r.err;
  EXPECT_TRUE(contains(r.err, (dir_ / "second.yaml").string())) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(ValidateCommand, NoScenarioFilesExitsThreeAndAMissingPathTwo) {
  write("readme.txt", "nothing here");
  const auto r = rpcfit({"validate", dir()});
  EXPECT_EQ(r.status, 3) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "no scenario files found")) << r.err;
  EXPECT_EQ(r.out, "");

  const std::string missing = (dir_ / "nope").string();
  const auto gone = rpcfit({"validate", missing});
  EXPECT_EQ(gone.status, 2) << gone.out << gone.err;
  EXPECT_TRUE(contains(gone.err, missing + ": no such file or directory")) << gone.err;
}

// The committed suite passes on rpcfit's own runtime.
TEST(Suite, CommittedScenariosAllPass) {
  const std::string scenarios = RPCFIT_SCENARIOS_DIR;
  ASSERT_TRUE(fs::is_directory(scenarios)) << scenarios;
  const auto valid = rpcfit({"validate", scenarios});
  ASSERT_EQ(valid.status, 0) << valid.out << valid.err;
  // Every rule of the contract has a scenario that is neither skipped nor a known failure.
  const auto coverage = rpcfit({"list", scenarios, "--coverage"});
  EXPECT_EQ(coverage.status, 0) << coverage.out << coverage.err;
  EXPECT_TRUE(contains(coverage.out, "every one of the 42 rules is covered")) << coverage.out;

  // The whole suite in one process, scenarios side by side (-j 2), at the conformance tests' time
  // and tolerance scales (the build's: slower under sanitizers), against the project's golden
  // captures (--root), into a scratch run folder.
  testing::ScratchDir out("rpcfit-cli-suite-run");
  const auto r = rpcfit({"run", scenarios, "--time-scale", RPCFIT_CONFORMANCE_TIME_SCALE,
                         "--tolerance-scale", RPCFIT_CONFORMANCE_TOLERANCE_SCALE, "-j", "2",
                         "--root", RPCFIT_SOURCE_DIR, "--out", out.path().string()},
                        std::chrono::seconds(170));
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  for (const auto& line : lines_of(r.out)) {
    EXPECT_NE(line.rfind("FAIL ", 0), 0u) << line;
    EXPECT_NE(line.rfind("ERROR ", 0), 0u) << line;
    EXPECT_NE(line.rfind("XPASS ", 0), 0u) << line;
    EXPECT_NE(line.rfind("SKIP ", 0), 0u) << "every scenario plays on this machine: " << line;
  }
  EXPECT_TRUE(contains(r.out, " 0 failed, 0 errors, 0 skipped, ")) << r.out;
  EXPECT_FALSE(contains(r.out, "Failures:")) << r.out;
  // Every scenario of the suite ran.
  const auto count = valid.out.substr(valid.out.find(", ") + 2);
  const auto scenarios_run = count.substr(0, count.find(' '));
  EXPECT_TRUE(contains(r.out, "rpcfit run: " + scenarios_run + " scenario(s)"))
      << r.out << valid.out;

  // Every scenario has its golden capture and matched it; only a deliberate race (capture: none)
  // keeps none. A missing golden is no failure for `rpcfit run` (a new scenario has none yet),
  // so the committed suite is held to it here.
  std::ifstream report(out.path() / "report.json");
  const auto doc = nlohmann::json::parse(report, nullptr, false);
  ASSERT_TRUE(doc.is_object() && doc.contains("scenarios")) << "no report.json";
  int matched = 0;
  for (const auto& run : doc["scenarios"]) {
    const auto& capture = run["capture"];
    const std::string status = capture.value("status", "");
    if (status == "match") {
      ++matched;
      continue;
    }
    EXPECT_TRUE(status == "skipped" &&
                testing::starts_with(capture.value("detail", ""), "capture: none"))
        << run["id"] << ": " << capture.dump();
  }
  EXPECT_GT(matched, 0);
}

}  // namespace
}  // namespace rpcfit::cli
