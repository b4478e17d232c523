// The step kinds' table: one row per kind, in the enum's order (traits() indexes it), with names
// unique and the facts the runner relies on.
#include "harness/model/step_kinds.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace rpcfit::run {
namespace {

TEST(StepKinds, OneRowPerKindInTheEnumsOrder) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kStepTraits.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(kStepTraits[i].kind), i) << kStepTraits[i].name;
    EXPECT_TRUE(names.insert(kStepTraits[i].name).second) << kStepTraits[i].name;
    EXPECT_FALSE(kStepTraits[i].keys.empty()) << kStepTraits[i].name;
    EXPECT_FALSE(kStepTraits[i].api.empty()) << kStepTraits[i].name;
  }
  EXPECT_EQ(static_cast<std::size_t>(StepKind::wait) + 1, kStepTraits.size());
}

TEST(StepKinds, WhatTheRunnerReliesOn) {
  EXPECT_EQ(step_name(StepKind::set_cancel_timeout), "set_cancel_timeout");
  EXPECT_EQ(traits(StepKind::cancel).api, "RpcCancelThreadEx");
  // A step that can be expected to return a status has `expect` among its keys; one that runs
  // on the timeline's API thread may be bounded with returns_within.
  for (const StepTraits& t : kStepTraits) {
    const auto has = [&](std::string_view key) {
      for (const auto k : t.keys) {
        if (k == key) return true;
      }
      return false;
    };
    EXPECT_TRUE(t.result != StepResult::status || has("expect")) << t.name;
    EXPECT_TRUE(t.runs_on != StepRunsOn::timeline || has("returns_within")) << t.name;
    EXPECT_TRUE(t.handle == HandleUse::none || has("handle")) << t.name;
    EXPECT_TRUE(!t.names_call || has("call")) << t.name;
  }
}

}  // namespace
}  // namespace rpcfit::run
