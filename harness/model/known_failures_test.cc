// Known failures: the file's entries (scenario ids, globs, rule ids, each with its reason) and
// what they make of a judged run: FAIL to XFAIL, PASS to XPASS for a listed scenario, a FAIL
// whose rules are all known to XFAIL, and nothing for ERROR and SKIP.
#include "harness/model/known_failures.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rpcfit::run {
namespace {

using ::testing::HasSubstr;

constexpr const char* kFile = R"(# wine 8.0
cancel/co/returns-promptly   no co_cancel yet (bug 123)
matrix/ncadg_ip_udp/*        datagram cancels are not implemented

CS-TMO-2   the cancel timeout is ignored   # trailing comment
)";

Scenario scenario(const std::string& id) {
  Scenario s;
  s.id = id;
  return s;
}

ScenarioRun judged(const Scenario& s, Verdict verdict, std::vector<std::string> rules = {}) {
  ScenarioRun run;
  run.scenario = &s;
  run.verdict = verdict;
  if (!rules.empty()) {
    Mismatch m;
    m.field = "call c1 status";
    m.rules = std::move(rules);
    run.mismatches.push_back(m);
    run.reason = "breaks ...";
  }
  return run;
}

KnownFailures known() {
  auto k = parse_known_failures(kFile, "known.txt");
  EXPECT_TRUE(static_cast<bool>(k));
  return k ? *k : KnownFailures{};
}

TEST(KnownFailures, ReadsScenarioIdsGlobsAndRulesWithTheirReasons) {
  const KnownFailures k = known();
  ASSERT_EQ(k.entries.size(), 3u);
  EXPECT_EQ(k.entries[0].pattern, "cancel/co/returns-promptly");
  EXPECT_EQ(k.entries[0].reason, "no co_cancel yet (bug 123)");
  EXPECT_FALSE(k.entries[0].rule);
  EXPECT_TRUE(k.entries[2].rule);
  EXPECT_EQ(k.entries[2].reason, "the cancel timeout is ignored");
  EXPECT_EQ(k.entries[2].loc.line, 5);
}

TEST(KnownFailures, AnEntryWithoutItsReasonIsAnErrorAtItsLine) {
  auto k = parse_known_failures("a/b  why\ncancel/co/x\n", "known.txt");
  ASSERT_FALSE(static_cast<bool>(k));
  EXPECT_THAT(k.error(), HasSubstr("known.txt:2: cancel/co/x: a known failure needs its reason"));
}

TEST(KnownFailures, AListedScenarioFailingIsAnXfailAndPassingAnXpass) {
  const Scenario s = scenario("matrix/ncadg_ip_udp/hung/zero");
  ScenarioRun failed = judged(s, Verdict::fail, {"CS-DG-1"});
  apply_known_failures(known(), failed);
  EXPECT_EQ(failed.verdict, Verdict::xfail);
  EXPECT_THAT(failed.reason, HasSubstr("datagram cancels are not implemented"));
  ScenarioRun passed = judged(s, Verdict::pass);
  apply_known_failures(known(), passed);
  EXPECT_EQ(passed.verdict, Verdict::xpass);
  EXPECT_THAT(passed.reason, HasSubstr("known.txt:3"));
}

TEST(KnownFailures, AFailBreakingOnlyKnownRulesIsAnXfailAndAnotherRuleKeepsItAFail) {
  const Scenario s = scenario("timeout/co/x");
  ScenarioRun known_rule = judged(s, Verdict::fail, {"CS-TMO-2"});
  apply_known_failures(known(), known_rule);
  EXPECT_EQ(known_rule.verdict, Verdict::xfail);
  ScenarioRun other = judged(s, Verdict::fail, {"CS-TMO-2", "CS-FWD-1"});
  apply_known_failures(known(), other);
  EXPECT_EQ(other.verdict, Verdict::fail);
  ScenarioRun passed = judged(s, Verdict::pass);  // a pass says nothing of a rule
  apply_known_failures(known(), passed);
  EXPECT_EQ(passed.verdict, Verdict::pass);
}

TEST(KnownFailures, ErrorsAndSkipsStayAsTheyAre) {
  const Scenario s = scenario("cancel/co/returns-promptly");
  for (const Verdict v : {Verdict::error, Verdict::skip}) {
    ScenarioRun run = judged(s, v);
    apply_known_failures(known(), run);
    EXPECT_EQ(run.verdict, v);
  }
}

}  // namespace
}  // namespace rpcfit::run
