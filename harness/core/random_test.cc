#include "harness/core/random.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <set>
#include <vector>

namespace rpcfit {
namespace {

std::vector<std::uint64_t> draws(Random r, int n) {
  std::vector<std::uint64_t> out;
  for (int i = 0; i < n; ++i)
    out.push_back(r.next());
  return out;
}

// Pinned from an independent implementation of splitmix64 seeding plus xoshiro256** (checked
// against the reference vector: state {1,2,3,4} gives 11520, 0, 1509978240, ...). A change here
// changes every recorded run's fault decisions.
TEST(Random, FixedSeedGivesTheKnownSequence) {
  EXPECT_EQ(draws(Random(42), 4),
            (std::vector<std::uint64_t>{0x15780b2e0c2ec716ULL, 0x6104d9866d113a7eULL,
                                        0xae17533239e499a1ULL, 0xecb8ad4703b360a1ULL}));
  EXPECT_EQ(draws(Random(0), 2),
            (std::vector<std::uint64_t>{0x99ec5f36cb75f2b4ULL, 0xbf6e1f784956452aULL}));
  EXPECT_EQ(Random(42).seed(), 42u);
}

TEST(Random, UniformIsInTheHalfOpenUnitInterval) {
  Random r(7);
  double lo = 1.0, hi = 0.0, sum = 0.0;
  constexpr int kN = 100000;
  for (int i = 0; i < kN; ++i) {
    const double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    sum += u;
  }
  EXPECT_LT(lo, 0.001);
  EXPECT_GT(hi, 0.999);
  EXPECT_NEAR(sum / kN, 0.5, 0.01);
}

TEST(Random, BelowStaysInRangeAndIsRoughlyUniform) {
  Random r(2024);
  std::array<int, 10> buckets{};
  constexpr int kN = 100000;
  for (int i = 0; i < kN; ++i) {
    const std::uint64_t v = r.below(10);
    ASSERT_LT(v, 10u);
    ++buckets[v];
  }
  // Ten thousand expected per bucket, standard deviation about 95.
  for (int count : buckets)
    EXPECT_NEAR(count, kN / 10, 500);
}

TEST(Random, BelowOfAHugeRangeRejectsTheBiasedValuesAndStaysBelow) {
  Random r(5);
  const std::uint64_t n = (std::uint64_t{1} << 63) + 1;  // about half of all raw values biased
  for (int i = 0; i < 1000; ++i)
    ASSERT_LT(r.below(n), n);
}

TEST(Random, BelowOfZeroOrOneIsZeroAndStillDraws) {
  Random a(9), b(9);
  EXPECT_EQ(a.below(0), 0u);
  EXPECT_EQ(a.below(1), 0u);
  b.next();
  b.next();
  EXPECT_EQ(a.next(), b.next());
}

TEST(Random, ChanceZeroNeverOneAlwaysAndEachTakesOneDraw) {
  Random r(11), shadow(11);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(r.chance(0.0));
    EXPECT_FALSE(r.chance(-1.0));
    EXPECT_TRUE(r.chance(1.0));
    EXPECT_TRUE(r.chance(2.0));
  }
  for (int i = 0; i < 4000; ++i)
    shadow.next();
  EXPECT_EQ(r.next(), shadow.next());
}

TEST(Random, ChanceHitsAboutTheGivenFraction) {
  Random r(3);
  int hits = 0;
  for (int i = 0; i < 100000; ++i)
    hits += r.chance(0.25) ? 1 : 0;
  EXPECT_NEAR(hits, 25000, 700);
}

TEST(Random, ForkIsDeterministicAndIgnoresDrawsAlreadyMade) {
  Random parent(42);
  const Random before = parent.fork(7);
  for (int i = 0; i < 100; ++i)
    parent.next();
  EXPECT_EQ(draws(parent.fork(7), 8), draws(before, 8));
  EXPECT_EQ(before.seed(), 0xd56fd4491d82a4ddULL);
  EXPECT_EQ(draws(before, 1), std::vector<std::uint64_t>{0x8d8c3d4ddaadc08cULL});
}

TEST(Random, ForksOfDifferentStreamsOrSeedsDiffer) {
  const Random parent(42);
  std::set<std::uint64_t> firsts;
  for (std::uint64_t stream = 0; stream < 64; ++stream)
    firsts.insert(parent.fork(stream).next());
  firsts.insert(Random(42).next());
  firsts.insert(Random(43).fork(0).next());
  EXPECT_EQ(firsts.size(), 66u);

  // Streams are not shifted copies of each other: no long common run.
  auto a = draws(parent.fork(1), 1000);
  auto b = draws(parent.fork(2), 1000);
  std::set<std::uint64_t> sa(a.begin(), a.end());
  int shared = 0;
  for (auto v : b)
    shared += sa.count(v) != 0 ? 1 : 0;
  EXPECT_EQ(shared, 0);
}

TEST(Random, FreshSeedsDiffer) {
  // Two 64-bit draws from std::random_device collide with negligible probability.
  EXPECT_NE(fresh_seed(), fresh_seed());
}

}  // namespace
}  // namespace rpcfit
