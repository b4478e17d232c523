#include "harness/run/selection.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace rpcfit::run {
namespace {

std::vector<Scenario> suite() {
  std::vector<Scenario> s(5);
  s[0].id = "timeout/co/hung-server-finite";
  s[0].tags = {"timeout"};
  s[0].spec = {"CS-OK-1", "CS-TMO-2"};
  s[1].spec = {"CS-DG-3"};
  s[1].id = "timeout/dg/hung-server-finite";
  s[1].tags = {"timeout", "datagram"};
  s[2].id = "access/no-set-context";
  s[2].level = Level::must;
  s[3].id = "cancel/pending";
  s[3].level = Level::should;
  s[4].id = "timeout/co2/other";
  return s;
}

std::vector<std::string> ids(const std::vector<const Scenario*>& chosen) {
  std::vector<std::string> out;
  for (const auto* s : chosen)
    out.push_back(s->id);
  return out;
}

TEST(Selection, AllInIdOrderByDefault) {
  const auto s = suite();
  EXPECT_EQ(ids(select(s, {})),
            (std::vector<std::string>{"access/no-set-context", "cancel/pending",
                                      "timeout/co/hung-server-finite", "timeout/co2/other",
                                      "timeout/dg/hung-server-finite"}));
}

TEST(Selection, GlobsAndFolderPrefixes) {
  const auto s = suite();
  Selection sel;
  sel.filters = {"timeout/*/hung-*"};
  EXPECT_EQ(ids(select(s, sel)), (std::vector<std::string>{"timeout/co/hung-server-finite",
                                                           "timeout/dg/hung-server-finite"}));
  sel.filters = {"timeout/co"};  // a folder: not timeout/co2
  EXPECT_EQ(ids(select(s, sel)), (std::vector<std::string>{"timeout/co/hung-server-finite"}));
  sel.filters = {"timeout"};
  sel.excludes = {"*/dg/*"};
  EXPECT_EQ(ids(select(s, sel)),
            (std::vector<std::string>{"timeout/co/hung-server-finite", "timeout/co2/other"}));
}

TEST(Selection, TagsAndLevel) {
  const auto s = suite();
  Selection sel;
  sel.tags = {"timeout", "datagram"};
  EXPECT_EQ(ids(select(s, sel)), (std::vector<std::string>{"timeout/dg/hung-server-finite"}));
  sel = {};
  sel.level = Level::should;
  EXPECT_EQ(ids(select(s, sel)), (std::vector<std::string>{"cancel/pending"}));
}

TEST(Selection, RulesTakeTheScenariosCitingAnyOfThem) {
  const auto s = suite();
  Selection sel;
  sel.rules = {"CS-TMO-2"};
  EXPECT_EQ(ids(select(s, sel)), (std::vector<std::string>{"timeout/co/hung-server-finite"}));
  sel.rules = {"CS-TMO-2", "CS-DG-3"};
  EXPECT_EQ(ids(select(s, sel)), (std::vector<std::string>{"timeout/co/hung-server-finite",
                                                           "timeout/dg/hung-server-finite"}));
  sel.rules = {"CS-SRV-6"};
  EXPECT_TRUE(select(s, sel).empty());
}

TEST(Selection, ShardsPartitionTheSelection) {
  const auto s = suite();
  std::vector<std::string> all;
  for (unsigned i = 0; i < 3; ++i) {
    Selection sel;
    sel.shard = {i, 3};
    for (const auto& id : ids(select(s, sel)))
      all.push_back(id);
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, ids(select(s, {})));
  Selection first;
  first.shard = {0, 3};
  EXPECT_EQ(ids(select(s, first)),
            (std::vector<std::string>{"access/no-set-context", "timeout/co2/other"}));
}

TEST(Selection, ParsesShards) {
  ASSERT_TRUE(parse_shard("1/4"));
  EXPECT_EQ(parse_shard("1/4")->index, 1u);
  EXPECT_EQ(parse_shard("1/4")->count, 4u);
  EXPECT_FALSE(parse_shard("4/4"));
  EXPECT_FALSE(parse_shard("1/0"));
  EXPECT_FALSE(parse_shard("x/2"));
  EXPECT_EQ(parse_shard("3").error(), "--shard: expected I/N, e.g. 0/4, got \"3\"");
}

TEST(Selection, ShardFromGoogleTestEnvironment) {
  ::unsetenv("GTEST_SHARD_INDEX");
  ::unsetenv("GTEST_TOTAL_SHARDS");
  ASSERT_TRUE(shard_from_environment());
  EXPECT_FALSE(shard_from_environment()->has_value());
  ::setenv("GTEST_SHARD_INDEX", "2", 1);
  ::setenv("GTEST_TOTAL_SHARDS", "5", 1);
  auto shard = shard_from_environment();
  ASSERT_TRUE(shard && shard->has_value());
  EXPECT_EQ((*shard)->index, 2u);
  ::setenv("GTEST_SHARD_INDEX", "9", 1);
  EXPECT_FALSE(shard_from_environment());
  ::unsetenv("GTEST_SHARD_INDEX");
  ::unsetenv("GTEST_TOTAL_SHARDS");
}

}  // namespace
}  // namespace rpcfit::run
