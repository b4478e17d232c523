// What `rpcfit run` leaves behind and the commands that read it, as a user runs them: the run
// folder and its reports, golden captures (recorded, matched, differing with a readable diff,
// refreshed), `rpcfit capture diff`, `rpcfit report diff`, `--baseline`, `rpcfit report merge`
// and `--live-capture`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/cli/cli_test_util.h"

namespace rpcfit::cli {
namespace {

namespace fs = std::filesystem;
using testing::contains;
using testing::deny_scenario;
using testing::ProcessResult;

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

nlohmann::json read_json(const fs::path& path) {
  return nlohmann::json::parse(read_file(path), nullptr, false);
}

class Outputs : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    return scratch_.write(name, text);
  }
  fs::path dir() const { return scratch_.path(); }

  ProcessResult rpcfit(std::vector<std::string> args, const std::string& cwd = "") {
    args.insert(args.begin(), RPCFIT_EXECUTABLE);
    auto r = testing::run_process(args, {"GTEST_SHARD_INDEX=0", "GTEST_TOTAL_SHARDS=1"},
                                  std::chrono::seconds(120), cwd);
    EXPECT_FALSE(r.timed_out) << r.out << r.err;
    return r;
  }
  // `rpcfit run <scenarios> --out <out> --root <scratch>` and more.
  ProcessResult run(const std::string& out, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {
        "run", (dir() / "s").string(), "--out", (dir() / out).string(), "--root", dir().string()};
    args.insert(args.end(), more.begin(), more.end());
    return rpcfit(args);
  }

  testing::ScratchDir scratch_{"rpcfit-cli-outputs"};
};

TEST_F(Outputs, TheRunFolderHoldsTheCapturesAndEveryReport) {
  write("s/deny.yaml", deny_scenario("server/deny"));
  const auto r = run("out");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "Reports: " + (dir() / "out" / "report.html").string())) << r.out;
  const auto report = read_json(dir() / "out" / "report.json");
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report["schema"], "rpcfit-report");
  EXPECT_EQ(report["scenarios"][0]["id"], "server/deny");
  EXPECT_EQ(report["scenarios"][0]["verdict"], "PASS");
  EXPECT_EQ(report["scenarios"][0]["area"], "server");
  EXPECT_EQ(report["scenarios"][0]["capture"]["path"], "server/deny/capture.pcap");
  EXPECT_EQ(report["scenarios"][0]["capture"]["status"], "no-golden");
  EXPECT_EQ(report["scenarios"][0]["wire"].size(), 4u);
  EXPECT_TRUE(fs::is_regular_file(dir() / "out" / "server" / "deny" / "capture.pcap"));
  EXPECT_TRUE(contains(read_file(dir() / "out" / "junit.xml"),
                       "<testcase name=\"server/deny\" classname=\"rpcfit.server\""));
  EXPECT_TRUE(contains(read_file(dir() / "out" / "report.html"), "server/deny"));
  EXPECT_TRUE(contains(read_file(dir() / "out" / "summary.md"), "PASSED"));
  // Valid against the published schema.
  const auto valid =
      testing::run_process({"/usr/bin/python3", RPCFIT_SOURCE_DIR "/tools/validate_report.py",
                            (dir() / "out" / "report.json").string()});
  EXPECT_EQ(valid.status, 0) << valid.out << valid.err;
}

TEST_F(Outputs, ByDefaultARunGoesUnderRunsAndLatestPointsToIt) {
  write("s/deny.yaml", deny_scenario("server/deny"));
  const auto r = rpcfit({"run", "s", "--seed", "77"}, dir().string());
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const fs::path latest = dir() / "runs" / "latest";
  ASSERT_TRUE(fs::is_symlink(latest)) << r.out;
  const std::string target = fs::read_symlink(latest).string();
  EXPECT_EQ(target.size(), std::string("20261206T042709Z-77").size()) << target;
  EXPECT_EQ(target.substr(target.size() - 3), "-77") << target;
  EXPECT_TRUE(fs::is_regular_file(latest / "report.json"));
  EXPECT_TRUE(contains(r.out, "Reports: runs/" + target + "/report.html")) << r.out;
}

TEST_F(Outputs, GoldensAreRecordedMatchedDiffedAndRefreshed) {
  const std::string scenario = write("s/deny.yaml", deny_scenario("server/deny"));
  const fs::path golden = dir() / "captures" / "golden" / "server" / "deny.pcap";

  const auto recorded = run("rec", {"--update-captures"});
  ASSERT_EQ(recorded.status, 0) << recorded.out << recorded.err;
  EXPECT_TRUE(contains(recorded.out,
                       "Golden captures (1):\n  recorded "
                       "captures/golden/server/deny.pcap (4 PDUs)"))
      << recorded.out;
  ASSERT_TRUE(fs::is_regular_file(golden));

  const auto matched = run("match");
  EXPECT_EQ(matched.status, 0) << matched.out << matched.err;
  EXPECT_EQ(read_json(dir() / "match" / "report.json")["scenarios"][0]["capture"]["status"],
            "match");

  // Another opnum: the scenario's own expectations hold, its capture does not.
  write("s/deny.yaml", deny_scenario("server/deny")
                           .replace(deny_scenario("server/deny").find("opnum: 5"), 8, "opnum: 4"));
  const auto differs = run("differs");
  EXPECT_EQ(differs.status, 1) << differs.out << differs.err;
  EXPECT_TRUE(contains(differs.out, scenario + ": capture: expected as golden "
                                               "captures/golden/server/deny.pcap, got 1 missing, "
                                               "1 extra (4 PDUs)"))
      << differs.out;
  EXPECT_TRUE(contains(differs.out,
                       "capture server/deny/capture.pcap against "
                       "captures/golden/server/deny.pcap:"))
      << differs.out;
  EXPECT_TRUE(contains(differs.out, "  -      6      .")) << differs.out;
  EXPECT_TRUE(contains(differs.out, "opnum=5")) << differs.out;
  EXPECT_TRUE(contains(differs.out, "  +      .      6")) << differs.out;
  EXPECT_TRUE(contains(differs.out, "opnum=4")) << differs.out;
  const auto report = read_json(dir() / "differs" / "report.json");
  EXPECT_EQ(report["scenarios"][0]["capture"]["status"], "differs");
  EXPECT_GE(report["scenarios"][0]["capture"]["diff"].size(), 3u);

  const auto refreshed = run("refresh", {"--update-captures"});
  EXPECT_EQ(refreshed.status, 0) << refreshed.out << refreshed.err;
  EXPECT_TRUE(contains(refreshed.out,
                       "updated captures/golden/server/deny.pcap (4 PDUs; was: 1 "
                       "missing, 1 extra)"))
      << refreshed.out;
  EXPECT_EQ(run("again").status, 0);
  const auto unchanged = run("unchanged", {"--update-captures"});
  EXPECT_TRUE(contains(unchanged.out, "unchanged captures/golden/server/deny.pcap"))
      << unchanged.out;

  // A scenario that fails its own expectations never writes its golden.
  const auto before = fs::last_write_time(golden);
  write("s/deny.yaml", deny_scenario("server/deny", "", "RPC_S_OK"));
  const auto failing = run("failing", {"--update-captures"});
  EXPECT_EQ(failing.status, 1);
  EXPECT_EQ(fs::last_write_time(golden), before);
  EXPECT_EQ(read_json(dir() / "failing" / "report.json")["scenarios"][0]["capture"]["detail"],
            "not updated: the scenario did not pass");
}

TEST_F(Outputs, TheCaptureKeyNamesTheGolden) {
  write("s/deny.yaml", deny_scenario("server/deny", "capture: elsewhere/mine.pcap\n"));
  const auto r = run("out", {"--update-captures"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(fs::is_regular_file(dir() / "elsewhere" / "mine.pcap")) << r.out;
}

// A deliberate race keeps no golden: nothing is recorded, nothing compared, and the report says so.
TEST_F(Outputs, CaptureNoneKeepsNoGolden) {
  write("s/deny.yaml", deny_scenario("server/deny", "capture: none\n"));
  const auto r = run("out", {"--update-captures"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "Golden captures (0):")) << r.out;
  EXPECT_FALSE(fs::exists(dir() / "captures")) << r.out;
  const auto capture = read_json(dir() / "out" / "report.json")["scenarios"][0]["capture"];
  EXPECT_EQ(capture["status"], "skipped");
  EXPECT_EQ(capture["golden"], "");
  EXPECT_EQ(capture["pdus"], 4);
}

TEST_F(Outputs, CaptureDiffComparesTwoFiles) {
  write("s/deny.yaml", deny_scenario("server/deny"));
  ASSERT_EQ(run("a", {"--update-captures"}).status, 0);
  const std::string golden = (dir() / "captures" / "golden" / "server" / "deny.pcap").string();
  const std::string a = (dir() / "a" / "server" / "deny" / "capture.pcap").string();
  const auto same = rpcfit({"capture", "diff", golden, a});
  EXPECT_EQ(same.status, 0) << same.out << same.err;
  EXPECT_TRUE(contains(same.out, "(4 PDUs): the same")) << same.out;

  write("s/deny.yaml", deny_scenario("server/deny")
                           .replace(deny_scenario("server/deny").find("opnum: 5"), 8, "opnum: 4"));
  ASSERT_EQ(run("b").status, 1);
  const std::string b = (dir() / "b" / "server" / "deny" / "capture.pcap").string();
  const auto differs = rpcfit({"capture", "diff", golden, b});
  EXPECT_EQ(differs.status, 1) << differs.out << differs.err;
  EXPECT_TRUE(contains(differs.out, "1 missing, 1 extra")) << differs.out;
  EXPECT_TRUE(contains(differs.out, "opnum=4")) << differs.out;

  const auto missing = rpcfit({"capture", "diff", golden, (dir() / "none.pcap").string()});
  EXPECT_EQ(missing.status, 2) << missing.out << missing.err;
  EXPECT_TRUE(contains(missing.err, "none.pcap")) << missing.err;
}

// A golden from elsewhere: a capture recorded from another implementation, normalized into a
// golden; it then compares equal to the capture it came from.
TEST_F(Outputs, CaptureNormalizeMakesAGoldenOfAForeignCapture) {
  const std::string foreign =
      std::string(RPCFIT_PUBLIC_CAPTURES) + "/suricata-verify__dcerpc-bind-no-frag-flag.pcap";
  const std::string golden = (dir() / "foreign.pcap").string();
  const auto made = rpcfit({"capture", "normalize", foreign, golden});
  ASSERT_EQ(made.status, 0) << made.out << made.err;
  EXPECT_TRUE(contains(made.out, "wrote " + golden + ": 8 PDU(s)")) << made.out;
  const auto same = rpcfit({"capture", "diff", foreign, golden});
  EXPECT_EQ(same.status, 0) << same.out << same.err;
  EXPECT_TRUE(contains(same.out, "(8 PDUs): the same")) << same.out;
  const auto dump = rpcfit({"capture", "dump", golden});
  ASSERT_EQ(dump.status, 0) << dump.err;
  EXPECT_TRUE(contains(dump.out, "127.0.0.1:49152 -> 127.0.0.2:135  tcp  bind call_id=1"))
      << dump.out;

  // One conversation of several, numbered 1 in the golden.
  const std::string udp = std::string(RPCFIT_PUBLIC_CAPTURES) + "/ndpi__dcerpc_cl_udp.pcap";
  const auto one = rpcfit({"capture", "normalize", udp, golden, "--conversation", "2"});
  ASSERT_EQ(one.status, 0) << one.out << one.err;
  const auto one_dump = rpcfit({"capture", "dump", golden});
  EXPECT_FALSE(contains(one_dump.out, "49153")) << one_dump.out;
  const auto none = rpcfit({"capture", "normalize", udp, golden, "--conversation", "99"});
  EXPECT_EQ(none.status, 2);
  EXPECT_TRUE(contains(none.err, "has no conversation 99")) << none.err;
}

TEST_F(Outputs, ReportDiffAndBaselineTellRegressionsFromFixes) {
  write("s/deny.yaml", deny_scenario("server/deny"));
  write("s/other.yaml", deny_scenario("server/other"));
  ASSERT_EQ(run("good").status, 0);
  write("s/other.yaml", deny_scenario("server/other", "", "RPC_S_OK"));
  ASSERT_EQ(run("bad").status, 1);
  const std::string good = (dir() / "good" / "report.json").string();
  const std::string bad = (dir() / "bad" / "report.json").string();

  const auto regression = rpcfit({"report", "diff", good, bad});
  EXPECT_EQ(regression.status, 1) << regression.out << regression.err;
  EXPECT_TRUE(contains(regression.out, "New failures (1):\n  FAIL  server/other  (was PASS)"))
      << regression.out;
  EXPECT_TRUE(contains(regression.out, "REGRESSION: 1 new failure(s)")) << regression.out;

  const auto fixed = rpcfit({"report", "diff", bad, good});
  EXPECT_EQ(fixed.status, 0) << fixed.out << fixed.err;
  EXPECT_TRUE(contains(fixed.out, "Fixed (1):\n  PASS  server/other  (was FAIL)")) << fixed.out;

  const auto inline_check = run("inline", {"--baseline", good});
  EXPECT_EQ(inline_check.status, 1) << inline_check.out;
  EXPECT_TRUE(contains(inline_check.out, "Against the baseline:")) << inline_check.out;
  EXPECT_TRUE(contains(inline_check.out, "REGRESSION")) << inline_check.out;
  write("s/other.yaml", deny_scenario("server/other"));
  const auto clean = run("clean", {"--baseline", bad});
  EXPECT_EQ(clean.status, 0) << clean.out;
  EXPECT_TRUE(contains(clean.out, "no regression: 1 fixed")) << clean.out;

  write("broken.json", "{\"schema\": \"something else\"}");
  const auto unreadable = rpcfit({"report", "diff", (dir() / "broken.json").string(), good});
  EXPECT_EQ(unreadable.status, 2) << unreadable.out << unreadable.err;
  EXPECT_TRUE(contains(unreadable.err, "broken.json: schema: ")) << unreadable.err;
  EXPECT_EQ(run("badbase", {"--baseline", (dir() / "broken.json").string()}).status, 2);
}

TEST_F(Outputs, ReportMergeJoinsShards) {
  for (const std::string id : {"a/one", "a/two", "b/three", "b/four"})
    write("s/" + id + ".yaml", deny_scenario(id));
  ASSERT_EQ(run("shard0", {"--shard", "0/2"}).status, 0);
  ASSERT_EQ(run("shard1", {"--shard", "1/2"}).status, 0);
  const std::string a = (dir() / "shard0" / "report.json").string();
  const std::string b = (dir() / "shard1" / "report.json").string();
  const auto merged = rpcfit({"report", "merge", a, b, "--out", (dir() / "merged").string()});
  ASSERT_EQ(merged.status, 0) << merged.out << merged.err;
  EXPECT_TRUE(contains(merged.out, "merged 2 report(s): 4 runs, 4 passed, 0 failing"))
      << merged.out;
  const auto report = read_json(dir() / "merged" / "report.json");
  ASSERT_EQ(report["scenarios"].size(), 4u);
  EXPECT_EQ(report["scenarios"][0]["id"], "a/one");
  EXPECT_EQ(report["scenarios"][3]["id"], "b/three");
  for (const char* name : {"junit.xml", "report.html", "summary.md"})
    EXPECT_TRUE(fs::is_regular_file(dir() / "merged" / name)) << name;
  const auto twice = rpcfit({"report", "merge", a, a, "--out", (dir() / "twice").string()});
  EXPECT_EQ(twice.status, 2) << twice.out << twice.err;
  EXPECT_TRUE(contains(twice.err, "shards of one run never share a scenario")) << twice.err;
}

TEST_F(Outputs, LiveCaptureOnLoopbackAgreesWithTheRuntimesCapture) {
  write("s/deny.yaml", deny_scenario("server/deny"));
  const auto r = run("live", {"--live-capture", "lo"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const auto live = read_json(dir() / "live" / "report.json")["scenarios"][0]["live_capture"];
  if (contains(r.out, "--live-capture lo: skipped: ")) {
    EXPECT_EQ(live["status"], "skipped");
    GTEST_SKIP() << "no capture privileges here: " << r.out;
  }
  EXPECT_EQ(live["status"], "match") << live.dump();
  EXPECT_EQ(live["pdus"], 4);
  EXPECT_TRUE(fs::is_regular_file(dir() / "live" / "server" / "deny" / "live.pcap"));
}

TEST_F(Outputs, ALiveCaptureThatCannotStartIsSkippedWithItsReason) {
  write("s/deny.yaml", deny_scenario("server/deny"));
  const auto r = run("live", {"--live-capture", "rpcfit-no-if0"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out,
                       "rpcfit run: --live-capture rpcfit-no-if0: skipped: cannot capture "
                       "on rpcfit-no-if0"))
      << r.out;
  const auto live = read_json(dir() / "live" / "report.json")["scenarios"][0]["live_capture"];
  EXPECT_EQ(live["status"], "skipped");
}

}  // namespace
}  // namespace rpcfit::cli
