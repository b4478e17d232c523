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

wire::ClPdu fack(std::uint16_t through, std::vector<std::uint32_t> selack, std::uint16_t window) {
  wire::ClAcknowledgement ack;
  ack.through = through;
  ack.selack = std::move(selack);
  return make_fack(wire::ClPdu{}, ack, window);
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
  sender.start();  // 0..3
  // Fragments 0 and 2 arrived, 1 and 3 did not; the receiver offers a window of 3.
  auto next = sender.on_fack(fack(0, {0b10}, 3));
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

TEST(DgPdus, ActivityUuidsAreRandomVersion4) {
  auto a = random_activity_uuid();
  auto b = random_activity_uuid();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.time_hi_and_version >> 12, 4);
  EXPECT_EQ(a.clock_seq_node[0] & 0xC0, 0x80);
}

}  // namespace
}  // namespace rpcfit::rpc
