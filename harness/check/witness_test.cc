// Which rules a mismatch names: the claim's rules among those the scenario cites, the scenario's
// own when none is, and the harness's own claims' rule first.
#include "harness/check/witness.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rpcfit::run {
namespace {

using ::testing::ElementsAre;

Scenario citing(std::vector<std::string> spec) {
  Scenario s;
  s.spec = std::move(spec);
  return s;
}

TEST(Witness, ACallStatusNamesTheCitedRulesItWitnesses) {
  const Scenario s = citing({"CS-OK-1", "CS-FWD-1", "CS-TMO-2"});
  EXPECT_THAT(broken_rules(s, {ClaimKind::call_status, {}, {}, status::kCallCancelled}),
              ElementsAre("CS-FWD-1", "CS-TMO-2"));
  EXPECT_THAT(broken_rules(s, {ClaimKind::step_status, "cancel", {}, status::kOk}),
              ElementsAre("CS-OK-1"));
}

TEST(Witness, AWirePduNamesItsTypesRulesAndAFieldItsOwn) {
  const Scenario s = citing({"CS-FWD-1", "CS-SRV-4", "CS-TMO-2", "CS-DG-1"});
  EXPECT_THAT(broken_rules(s, {ClaimKind::wire_pdu, "orphaned", {}, {}}), ElementsAre("CS-TMO-2"));
  EXPECT_THAT(broken_rules(s, {ClaimKind::wire_pdu, "co_cancel", {}, {}}), ElementsAre("CS-FWD-1"));
  EXPECT_THAT(broken_rules(s, {ClaimKind::wire_pdu, "response", "cancel_count", {}}),
              ElementsAre("CS-FWD-1", "CS-SRV-4"));
  EXPECT_THAT(broken_rules(s, {ClaimKind::wire_pdu, "cl_cancel", "cancel_id", {}}),
              ElementsAre("CS-DG-1"));
}

TEST(Witness, ARefusalIsBrokenByAnyCancelOnTheWire) {
  const Scenario s = citing({"CS-ACC-1"});
  EXPECT_THAT(broken_rules(s, {ClaimKind::wire_absent, "co_cancel", {}, {}}),
              ElementsAre("CS-ACC-1"));
  EXPECT_THAT(broken_rules(s, {ClaimKind::server_cancel, {}, {}, {}}), ElementsAre("CS-ACC-1"));
}

TEST(Witness, NoneOfTheClaimsRulesCitedNamesTheScenariosRules) {
  const Scenario s = citing({"CS-SRV-6", "CS-NEV-3"});
  EXPECT_THAT(broken_rules(s, {ClaimKind::capture, {}, {}, {}}),
              ElementsAre("CS-SRV-6", "CS-NEV-3"));
  EXPECT_THAT(broken_rules(s, {ClaimKind::wire_pdu, "orphaned", {}, {}}),
              ElementsAre("CS-SRV-6", "CS-NEV-3"));
}

TEST(Witness, TheHarnessesOwnClaimsNameTheirRuleFirst) {
  const Scenario s = citing({"CS-OK-1", "CS-TMO-2"});
  EXPECT_THAT(broken_rules(s, {ClaimKind::call_ended, {}, {}, {}}),
              ElementsAre("CS-NEV-1", "CS-TMO-2"));
  EXPECT_THAT(broken_rules(s, {ClaimKind::step_returned, "cancel", {}, status::kOk}),
              ElementsAre("CS-RET-1", "CS-OK-1"));
  EXPECT_THAT(broken_rules(citing({}), {ClaimKind::call_ended, {}, {}, {}}),
              ElementsAre("CS-NEV-1"));
}

}  // namespace
}  // namespace rpcfit::run
