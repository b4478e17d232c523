#include "harness/model/verdict.h"

#include <gtest/gtest.h>

namespace rpcfit::run {
namespace {

constexpr Verdict kAll[] = {Verdict::pass, Verdict::fail,  Verdict::error,
                            Verdict::skip, Verdict::xfail, Verdict::xpass};

TEST(Verdict, Names) {
  std::string names;
  for (Verdict v : kAll)
    names += std::string(verdict_name(v)) + " ";
  EXPECT_EQ(names, "PASS FAIL ERROR SKIP XFAIL XPASS ");
}

TEST(Verdict, FailErrorAndXpassFailTheRun) {
  std::string failing;
  for (Verdict v : kAll) {
    if (fails_run(v)) failing += std::string(verdict_name(v)) + " ";
  }
  EXPECT_EQ(failing, "FAIL ERROR XPASS ");
}

TEST(Verdict, OfARunThatEnded) {
  const std::vector<Mismatch> none;
  const std::vector<Mismatch> one{{"call c1 status", "RPC_S_OK", "RPC_S_CALL_CANCELLED", {}, {}}};
  EXPECT_EQ(verdict_of(false, none), Verdict::pass);
  EXPECT_EQ(verdict_of(false, one), Verdict::fail);
  EXPECT_EQ(verdict_of(true, one), Verdict::xfail);
  EXPECT_EQ(verdict_of(true, none), Verdict::xpass);
}

}  // namespace
}  // namespace rpcfit::run
