// DgSender: bursts, NOFACK, facks with selective acknowledgement, retransmission, with plain PDUs.
#include "drivers/runtime/dg_flow.h"

#include <gtest/gtest.h>

#include "drivers/runtime/dg_pdus.h"
#include "harness/wire/codec.h"
#include "harness/wire/fragment.h"

namespace rpcfit::rpc {
namespace {

std::vector<wire::ClPdu> fragments(std::size_t count) {
  wire::ClPdu whole;
  whole.type = wire::PType::request;
  whole.body = wire::ClRaw{Bytes(count * 10, 0xAB)};
  return *wire::fragment_cl(whole, 10);
}

std::vector<std::uint16_t> numbers(const std::vector<wire::ClPdu>& pdus) {
  std::vector<std::uint16_t> out;
  for (const auto& pdu : pdus)
    out.push_back(pdu.fragnum);
  return out;
}

// The receiver's fack for `inducing`, the fragment without NOFACK that made it send one: the
// fack echoes its serial.
wire::ClPdu fack_for(const wire::ClPdu& inducing, std::uint16_t through,
                     std::vector<std::uint32_t> selack, std::uint16_t window) {
  wire::ClAcknowledgement ack;
  ack.through = through;
  ack.selack = std::move(selack);
  return make_fack(inducing, ack, window);
}

// A fack echoing serial 0.
wire::ClPdu fack(std::uint16_t through, std::vector<std::uint32_t> selack, std::uint16_t window) {
  return fack_for(wire::ClPdu{}, through, std::move(selack), window);
}

// A fack without a body, as older senders send it: fragnum only.
wire::ClPdu bare_fack(std::uint16_t through) {
  wire::ClPdu pdu = fack(through, {}, 0);
  pdu.body = wire::ClFack{};
  std::get<wire::ClFack>(pdu.body).has_body = false;
  return pdu;
}

std::uint16_t serial(const wire::ClPdu& pdu) {
  return static_cast<std::uint16_t>((pdu.serial_hi << 8) | pdu.serial_lo);
}

TEST(DgSender, TheFirstBurstFillsTheWindowAndOnlyItsLastAsksForAFack) {
  DgSender sender(fragments(20), 4);
  auto burst = sender.start();
  EXPECT_EQ(numbers(burst), (std::vector<std::uint16_t>{0, 1, 2, 3}));
  for (std::size_t i = 0; i < burst.size(); ++i) {
    const bool nofack = (burst[i].flags1 & wire::clf1::kNoFack) != 0;
    EXPECT_EQ(nofack, i + 1 < burst.size()) << i;
  }
  // Every transmission has its own serial number.
  EXPECT_EQ(burst[1].serial_lo, burst[0].serial_lo + 1);
  EXPECT_FALSE(sender.acknowledged());
}

TEST(DgSender, AFackOpensTheWindowAndGapsAreResentFirst) {
  DgSender sender(fragments(10), 4);
  auto burst = sender.start();  // 0..3
  // Fragments 0 and 2 arrived, 1 and 3 did not; the receiver offers a window of 3. Fragment 2
  // asked for this fack (3, which would have, is lost).
  auto next = sender.on_fack(fack_for(burst[2], 0, {0b10}, 3));
  // Fragment 1 lies below an acknowledged one: lost, resent. Then new ones fill the window:
  // in flight are 1 and 3, so one more (4).
  EXPECT_EQ(numbers(next), (std::vector<std::uint16_t>{1, 4}));
  EXPECT_EQ(sender.window(), 3);
  EXPECT_EQ(next.back().flags1 & wire::clf1::kNoFack, 0);
}

TEST(DgSender, TheTimerResendsTheLowestUnacknowledgedFragmentAskingForAFack) {
  DgSender sender(fragments(6), 8);
  sender.start();
  sender.on_fack(fack(2, {}, 8));
  auto again = sender.on_timer();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].fragnum, 3);
  EXPECT_EQ(again[0].flags1 & wire::clf1::kNoFack, 0);
  sender.on_fack(fack(5, {}, 8));
  EXPECT_TRUE(sender.acknowledged());
  EXPECT_TRUE(sender.on_timer().empty());
}

TEST(DgSender, AnUnfragmentedPduIsSentAsItIsUntilTheReplyAcknowledgesIt) {
  wire::ClPdu whole;
  whole.type = wire::PType::request;
  whole.body = wire::ClRaw{Bytes{1, 2, 3}};
  DgSender sender({whole});
  auto first = sender.start();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].flags1, 0);
  EXPECT_TRUE(sender.on_fack(fack(0, {}, 8)).empty()) << "facks are about fragments";
  EXPECT_EQ(sender.on_timer().size(), 1u);
  sender.acknowledge_all();
  EXPECT_TRUE(sender.on_timer().empty());
}

TEST(DgSender, RestartSendsEverythingAgain) {
  DgSender sender(fragments(3), 8);
  sender.start();
  sender.on_fack(fack(2, {}, 8));
  ASSERT_TRUE(sender.acknowledged());
  sender.restart();
  EXPECT_EQ(numbers(sender.start()), (std::vector<std::uint16_t>{0, 1, 2}));
}

TEST(DgSender, AHostileFackCannotAcknowledgeBeyondTheFragmentsOrWidenTheWindowWithoutBound) {
  DgSender sender(fragments(4), 2);
  sender.start();
  auto next = sender.on_fack(fack(0xFFFE, std::vector<std::uint32_t>(2048, 0xFFFFFFFF), 60000));
  EXPECT_TRUE(sender.acknowledged());
  EXPECT_TRUE(next.empty());
  EXPECT_LE(sender.window(), 64);
}

TEST(DgSender, RepeatedFacksResendNoFragmentSentAfterTheSerialTheyEcho) {
  DgSender sender(fragments(12), 4);
  auto burst = sender.start();  // 0..3, serials s..s+3
  // Only fragment 3 arrived: 0..2 were sent before it and are lost.
  const wire::ClPdu only_last = fack_for(burst[3], 0xFFFF, {1u << 3}, 4);
  auto first = sender.on_fack(only_last);
  EXPECT_EQ(numbers(first), (std::vector<std::uint16_t>{0, 1, 2, 4}));
  // The same fack again (a duplicate, or one for a copy of fragment 3): 0..2 went again after
  // fragment 3 and are still on their way, and the window is full.
  EXPECT_TRUE(sender.on_fack(only_last).empty());
  EXPECT_TRUE(sender.on_fack(only_last).empty());
}

TEST(DgSender, AFackEchoingALaterSerialResendsTheGapOnce) {
  DgSender sender(fragments(12), 4);
  auto burst = sender.start();                                            // 0..3
  auto first = sender.on_fack(fack_for(burst[3], 0xFFFF, {1u << 3}, 4));  // 0, 1, 2, 4
  ASSERT_EQ(numbers(first), (std::vector<std::uint16_t>{0, 1, 2, 4}));
  // Fragment 4 went last; its fack says 0..2 are lost again.
  const wire::ClPdu after = fack_for(first.back(), 0xFFFF, {(1u << 3) | (1u << 4)}, 4);
  auto again = sender.on_fack(after);
  EXPECT_EQ(numbers(again), (std::vector<std::uint16_t>{0, 1, 2, 5}));
  for (std::size_t i = 0; i < again.size(); ++i)
    EXPECT_LT(static_cast<std::int16_t>(serial(first.back()) - serial(again[i])), 0) << i;
  EXPECT_TRUE(sender.on_fack(after).empty()) << "resent once, not on every copy of the fack";
  // Fragment 5 closes the gap: everything through 5 arrived.
  auto rest = sender.on_fack(fack_for(again.back(), 5, {}, 4));
  EXPECT_EQ(numbers(rest), (std::vector<std::uint16_t>{6, 7, 8, 9}));
}

TEST(DgSender, SerialsCompareAcrossTheirWraparound) {
  DgSender sender(fragments(12), 4);
  for (int i = 0; i < 0xFFFE; ++i)
    sender.on_ping();           // fragment 0 again and again: serials 0..0xFFFD
  auto burst = sender.start();  // 0..3 with serials 0xFFFE, 0xFFFF, 0, 1
  ASSERT_EQ(numbers(burst), (std::vector<std::uint16_t>{0, 1, 2, 3}));
  ASSERT_EQ(serial(burst[0]), 0xFFFE);
  ASSERT_EQ(serial(burst[3]), 1);
  // Only fragment 3 arrived: 0..2 were sent before it, across the wrap, and are lost.
  const wire::ClPdu only_last = fack_for(burst[3], 0xFFFF, {1u << 3}, 4);
  EXPECT_EQ(numbers(sender.on_fack(only_last)), (std::vector<std::uint16_t>{0, 1, 2, 4}));
  EXPECT_TRUE(sender.on_fack(only_last).empty());
}

TEST(DgSender, AFackSendsAtMostAWindowOfFragments) {
  DgSender sender(fragments(20), 8);
  auto burst = sender.start();  // 0..7
  // Only fragment 7 arrived and the receiver shrinks the window to 3: seven fragments are lost,
  // three go now.
  auto next = sender.on_fack(fack_for(burst[7], 0xFFFF, {1u << 7}, 3));
  EXPECT_EQ(numbers(next), (std::vector<std::uint16_t>{0, 1, 2}));
  EXPECT_EQ(sender.window(), 3);
  EXPECT_EQ(next.back().flags1 & wire::clf1::kNoFack, 0);
  // Everything through 7 arrived: a window of new fragments, no more.
  auto more = sender.on_fack(fack_for(next.back(), 7, {}, 3));
  EXPECT_EQ(numbers(more), (std::vector<std::uint16_t>{8, 9, 10}));
}

TEST(DgSender, AFackWithoutBodyAcknowledgesThroughItsFragnumAndResendsNoGap) {
  DgSender sender(fragments(8), 4);
  auto burst = sender.start();  // 0..3
  // Fragments 0 and 2 arrived; fragment 0 asked: 1 was sent after it and is not lost.
  auto next = sender.on_fack(fack_for(burst[0], 0, {0b10}, 4));
  EXPECT_EQ(numbers(next), (std::vector<std::uint16_t>{4, 5}));
  EXPECT_TRUE(sender.on_fack(bare_fack(0)).empty()) << "no serial: no gap is known lost";
  EXPECT_EQ(sender.window(), 4) << "no window in it either";
  EXPECT_EQ(numbers(sender.on_fack(bare_fack(3))), (std::vector<std::uint16_t>{6, 7}));
  EXPECT_FALSE(sender.acknowledged());
  EXPECT_TRUE(sender.on_fack(bare_fack(7)).empty());
  EXPECT_TRUE(sender.acknowledged());
}

TEST(DgSender, APingGetsTheLowestUnacknowledgedFragmentOrTheLastOne) {
  DgSender sender(fragments(6), 8);
  auto burst = sender.start();  // 0..5
  auto ping = sender.on_ping();
  ASSERT_EQ(numbers(ping), (std::vector<std::uint16_t>{0}));
  EXPECT_EQ(ping[0].flags1 & wire::clf1::kNoFack, 0);
  sender.on_fack(fack_for(burst[5], 2, {}, 8));
  EXPECT_EQ(numbers(sender.on_ping()), (std::vector<std::uint16_t>{3}));
  sender.on_fack(fack_for(burst[5], 5, {}, 8));
  ASSERT_TRUE(sender.acknowledged());
  ping = sender.on_ping();
  ASSERT_EQ(numbers(ping), (std::vector<std::uint16_t>{5}));
  EXPECT_EQ(ping[0].flags1 & wire::clf1::kNoFack, 0);
  EXPECT_NE(ping[0].flags1 & wire::clf1::kLastFrag, 0);
  EXPECT_NE(serial(ping[0]), serial(burst[5])) << "a new transmission";
  EXPECT_EQ(sender.on_ping().size(), 1u) << "never a whole window";

  EXPECT_TRUE(DgSender().on_ping().empty());
}

TEST(DgSender, APingForAnUnfragmentedReplyGetsThePdu) {
  wire::ClPdu whole;
  whole.type = wire::PType::response;
  whole.body = wire::ClRaw{Bytes{1, 2, 3}};
  DgSender sender({whole});
  sender.start();
  auto ping = sender.on_ping();
  ASSERT_EQ(ping.size(), 1u);
  EXPECT_EQ(ping[0].body, whole.body);
  EXPECT_EQ(ping[0].flags1, 0);
  sender.acknowledge_all();
  ping = sender.on_ping();
  ASSERT_EQ(ping.size(), 1u);
  EXPECT_EQ(ping[0].body, whole.body);
}

TEST(DgPdus, CancelAckBodyIsNineBytesAndEchoesTheCall) {
  wire::ClPdu call;
  call.type = wire::PType::request;
  call.seqnum = 7;
  call.activity.time_low = 0x1234;
  auto cancel = make_cl_cancel(call, 3);
  EXPECT_EQ(cancel.seqnum, 7u);
  EXPECT_EQ(cancel.activity, call.activity);
  auto ack = make_cancel_ack(cancel, 3, true);
  auto bytes = wire::encode(ack);
  EXPECT_EQ(bytes.size(), wire::kClHeaderSize + 9);
  EXPECT_EQ(std::get<wire::ClCancelAck>(ack.body).server_is_accepting, 1);
}

TEST(DgPdus, ActivityUuidsAreRandomVersion4AndFollowTheSeed) {
  Random random(7);
  auto a = random_activity_uuid(random);
  auto b = random_activity_uuid(random);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.time_hi_and_version >> 12, 4);
  EXPECT_EQ(a.clock_seq_node[0] & 0xC0, 0x80);
  Random again(7);
  EXPECT_EQ(random_activity_uuid(again), a);
  EXPECT_EQ(random_activity_uuid(again), b);
  Random other(8);
  EXPECT_NE(random_activity_uuid(other), a);
}

}  // namespace
}  // namespace rpcfit::rpc
