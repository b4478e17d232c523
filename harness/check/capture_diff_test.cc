// Comparing normalized captures: equal ones, a missing, an extra and a mistimed PDU, each one line
// of a readable diff with frame numbers and times; long equal runs cut to context.
#include "harness/check/capture_diff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/check/capture_test_util.h"

namespace rpcfit::run {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;

NormalizedPdu pdu(std::uint64_t frame, Timestamp at, bool to_server, const std::string& text) {
  return testing::normalized_pdu(frame, at, to_server, text);
}

// bind, bind_ack, request, co_cancel at 100 ms, orphaned at 1100 ms.
NormalizedCapture hung() {
  NormalizedCapture c;
  c.pdus = {pdu(4, 1ms, true, "bind call_id=1"), pdu(5, 2ms, false, "bind_ack call_id=1"),
            pdu(6, 3ms, true, "request call_id=1 opnum=1"),
            pdu(7, 100ms, true, "co_cancel call_id=1"), pdu(8, 1100ms, true, "orphaned call_id=1")};
  return c;
}

Timestamp fifty(Timestamp) {
  return 50ms;
}

TEST(CompareCaptures, EqualCapturesAreTheSame) {
  const auto diff = compare(hung(), hung(), fifty);
  EXPECT_TRUE(diff.same);
  EXPECT_TRUE(diff.lines.empty());
  EXPECT_EQ(diff.summary(), "the same");
  // Times within the tolerance are the same too.
  auto later = hung();
  later.pdus[4].at += 49ms;
  EXPECT_TRUE(compare(hung(), later, fifty).same);
}

TEST(CompareCaptures, AMissingPduIsOneLine) {
  auto actual = hung();
  actual.pdus.pop_back();  // never orphaned
  const auto diff = compare(hung(), actual, fifty);
  EXPECT_FALSE(diff.same);
  EXPECT_EQ(diff.missing, 1u);
  EXPECT_EQ(diff.extra, 0u);
  EXPECT_EQ(diff.summary(), "1 missing");
  ASSERT_GE(diff.lines.size(), 2u);
  EXPECT_THAT(diff.lines.front(), HasSubstr("golden"));
  EXPECT_THAT(diff.lines.back(),
              StartsWith("-      8      .     1100.000            .  1 > orphaned"));
}

TEST(CompareCaptures, AnExtraAndAMistimedPdu) {
  auto actual = hung();
  actual.pdus[3].at = 352ms;  // the co_cancel came late
  actual.pdus.insert(actual.pdus.begin() + 4, pdu(9, 353ms, true, "co_cancel call_id=1"));
  const auto diff = compare(hung(), actual, fifty);
  EXPECT_EQ(diff.extra, 1u);
  EXPECT_EQ(diff.mistimed, 1u);
  EXPECT_EQ(diff.summary(), "1 extra, 1 mistimed");
  std::string all;
  for (const auto& line : diff.lines)
    all += line + "\n";
  EXPECT_THAT(all, HasSubstr("~      7      7      100.000      352.000  1 > co_cancel call_id=1   "
                             "(off by 252.000ms, tolerance 50.000ms)"));
  EXPECT_THAT(all, HasSubstr("+      .      9            .      353.000  1 > co_cancel"));
  // Context lines are marked with a blank.
  EXPECT_THAT(all, HasSubstr("\n       6      6        3.000        3.000  1 > request"));
}

TEST(CompareCaptures, TheToleranceIsAskedAtTheGoldensInstant) {
  auto actual = hung();
  actual.pdus[4].at = 1150ms;
  std::vector<Timestamp> asked;
  const auto diff = compare(hung(), actual, [&](Timestamp at) {
    asked.push_back(at);
    return at >= 1s ? Timestamp{60ms} : Timestamp{1ms};
  });
  EXPECT_TRUE(diff.same);
  EXPECT_EQ(asked.back(), 1100ms);
}

TEST(CompareCaptures, LongEqualRunsAreCut) {
  NormalizedCapture golden;
  for (int i = 0; i < 30; ++i)
    golden.pdus.push_back(pdu(static_cast<std::uint64_t>(i + 1), i * 1ms, true,
                              "request call_id=" + std::to_string(i + 1)));
  auto actual = golden;
  actual.pdus[20].text = "request call_id=21 opnum=9";
  const auto diff = compare(golden, actual, fifty);
  EXPECT_EQ(diff.missing, 1u);
  EXPECT_EQ(diff.extra, 1u);
  // header, "... 17 equal", 3 context, -, +, 3 context, "... 6 equal"
  ASSERT_EQ(diff.lines.size(), 11u);
  EXPECT_EQ(diff.lines[1], "  ... 17 equal PDU(s) ...");
  EXPECT_EQ(diff.lines.back(), "  ... 6 equal PDU(s) ...");
}

TEST(CompareCaptures, ConversationAndDirectionCount) {
  auto actual = hung();
  actual.pdus[3].conversation = 2;  // the cancel went on another connection
  const auto diff = compare(hung(), actual, fifty);
  EXPECT_EQ(diff.missing, 1u);
  EXPECT_EQ(diff.extra, 1u);
  auto reversed = hung();
  reversed.pdus[0].to_server = false;
  EXPECT_FALSE(compare(hung(), reversed, fifty).same);
}

}  // namespace
}  // namespace rpcfit::run
