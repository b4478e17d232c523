#include "harness/wire/fragment.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "harness/wire/codec.h"
#include "harness/wire/test_pdus.h"

namespace rpcfit::wire {
namespace {

CoPdu big_request(std::size_t stub_size) {
  CoPdu p;
  p.type = PType::request;
  p.flags = pfc::kFirstFrag | pfc::kLastFrag;
  p.call_id = 9;
  CoRequest q;
  q.opnum = 3;
  for (std::size_t i = 0; i < stub_size; ++i)
    q.stub.push_back(static_cast<std::uint8_t>(i * 7));
  q.alloc_hint = static_cast<std::uint32_t>(stub_size);
  p.body = q;
  return p;
}

TEST(FragmentCo, SplitsWithinMaxXmitFragAndReassembles) {
  const CoPdu whole = big_request(10000);
  auto frags = fragment_co(whole, 1024);
  ASSERT_TRUE(frags.ok()) << frags.error().to_string();
  ASSERT_GT(frags->size(), 9u);
  CoCallReassembler r;
  std::optional<CoPdu> done;
  std::size_t remaining = 10000;
  for (std::size_t i = 0; i < frags->size(); ++i) {
    const CoPdu& f = (*frags)[i];
    const Bytes wire = encode(f);
    EXPECT_LE(wire.size(), 1024u);
    EXPECT_EQ(bool(f.flags & pfc::kFirstFrag), i == 0);
    EXPECT_EQ(bool(f.flags & pfc::kLastFrag), i + 1 == frags->size());
    const auto& q = std::get<CoRequest>(f.body);
    EXPECT_EQ(q.alloc_hint, remaining);
    if (i + 1 < frags->size()) {
      EXPECT_EQ(q.stub.size() % 8, 0u);
    }
    remaining -= q.stub.size();
    auto out = r.add(*decode_co(wire));
    ASSERT_TRUE(out.ok()) << out.error().to_string();
    if (i + 1 < frags->size()) {
      EXPECT_FALSE(out->has_value());
    }
    if (out->has_value()) done = **out;
  }
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(std::get<CoRequest>(done->body).stub, std::get<CoRequest>(whole.body).stub);
  EXPECT_EQ(r.in_progress(), 0u);
}

TEST(FragmentCo, KeepsPendingCancelAndSmallBodiesWhole) {
  CoPdu small = big_request(10);
  small.flags |= pfc::kPendingCancel;
  auto frags = fragment_co(small, 4280);
  ASSERT_TRUE(frags.ok());
  ASSERT_EQ(frags->size(), 1u);
  EXPECT_EQ((*frags)[0].flags, pfc::kFirstFrag | pfc::kLastFrag | pfc::kPendingCancel);
}

TEST(FragmentCo, RefusesWhatItCannotFragment) {
  EXPECT_EQ(fragment_co(big_request(100), 24).error().code, ErrorCode::unsupported);
  CoPdu authed = big_request(100);
  authed.auth = AuthTrailer{10, 6, 0, 0, 1, Bytes(16, 1)};
  EXPECT_EQ(fragment_co(authed, 1024).error().code, ErrorCode::unsupported);
  CoPdu cancel;
  cancel.type = PType::co_cancel;
  EXPECT_EQ(fragment_co(cancel, 1024).error().code, ErrorCode::unsupported);
}

TEST(CoCallReassembler, EnforcesLimitsAndSequence) {
  CoCallReassembler r(CallLimits{100, 2});
  CoPdu first = big_request(64);
  first.flags = pfc::kFirstFrag;
  CoPdu middle = big_request(64);
  middle.flags = 0;
  EXPECT_EQ(r.add(middle).error().code, ErrorCode::sequence);  // no first fragment
  ASSERT_TRUE(r.add(first).ok());
  auto too_big = r.add(middle);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code, ErrorCode::limit_exceeded);
  EXPECT_EQ(r.in_progress(), 0u);
  for (std::uint32_t id : {1u, 2u}) {
    first.call_id = id;
    ASSERT_TRUE(r.add(first).ok());
  }
  first.call_id = 3;
  EXPECT_EQ(r.add(first).error().code, ErrorCode::limit_exceeded);
}

TEST(FragmentCl, SplitsAndReassemblesInAnyOrderIgnoringDuplicates) {
  ClPdu whole = testing::sample_cl_pdus(ByteOrder::little)[0];
  Bytes body(5000);
  for (std::size_t i = 0; i < body.size(); ++i)
    body[i] = static_cast<std::uint8_t>(i);
  whole.body = ClRaw{body};
  auto frags = fragment_cl(whole, 1000);
  ASSERT_TRUE(frags.ok());
  ASSERT_EQ(frags->size(), 5u);
  EXPECT_TRUE((*frags)[4].flags1 & clf1::kLastFrag);
  EXPECT_FALSE((*frags)[3].flags1 & clf1::kLastFrag);
  std::vector<ClPdu> shuffled = *frags;
  shuffled.push_back((*frags)[2]);  // a duplicate
  std::mt19937 rng(7);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  ClCallReassembler r;
  std::optional<ClPdu> done;
  for (const ClPdu& f : shuffled) {
    auto out = r.add(*decode_cl(encode(f)));
    ASSERT_TRUE(out.ok()) << out.error().to_string();
    if (out->has_value()) {
      EXPECT_FALSE(done.has_value()) << "completed twice";
      done = **out;
    }
  }
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(std::get<ClRaw>(done->body).body, body);
}

TEST(ClCallReassembler, RejectsFragmentsBeyondTheLast) {
  ClPdu whole = testing::sample_cl_pdus(ByteOrder::little)[0];
  whole.body = ClRaw{Bytes(30, 1)};
  auto frags = *fragment_cl(whole, 10);
  ClCallReassembler r;
  ASSERT_TRUE(r.add(frags[2]).ok());  // the last one
  ClPdu beyond = frags[1];
  beyond.fragnum = 5;
  EXPECT_EQ(r.add(beyond).error().code, ErrorCode::sequence);
}

TEST(CoCallReassembler, OrphanedFaultAndRestartDropPartialCalls) {
  CoCallReassembler r(CallLimits{1 << 20, 2});
  CoPdu first = big_request(64);
  first.flags = pfc::kFirstFrag;
  ASSERT_TRUE(r.add(first).ok());
  EXPECT_EQ(r.in_progress(), 1u);
  CoPdu orphaned;
  orphaned.type = PType::orphaned;
  orphaned.call_id = first.call_id;
  auto out = r.add(orphaned);
  ASSERT_TRUE(out.ok() && out->has_value());
  EXPECT_EQ(r.in_progress(), 0u);

  ASSERT_TRUE(r.add(first).ok());
  CoPdu fault;
  fault.type = PType::fault;
  fault.call_id = first.call_id;
  fault.body = CoFault{};
  ASSERT_TRUE(r.add(fault).ok());
  EXPECT_EQ(r.in_progress(), 0u);

  // Many abandoned calls never exhaust the limit once they are orphaned.
  for (std::uint32_t id = 100; id < 200; ++id) {
    first.call_id = id;
    ASSERT_TRUE(r.add(first).ok()) << id;
    orphaned.call_id = id;
    ASSERT_TRUE(r.add(orphaned).ok());
  }
  EXPECT_EQ(r.in_progress(), 0u);

  // A new first fragment restarts a call: the whole call is the new one.
  first.call_id = 7;
  ASSERT_TRUE(r.add(first).ok());
  CoPdu again = big_request(8);
  again.call_id = 7;
  auto whole = r.add(again);
  ASSERT_TRUE(whole.ok() && whole->has_value());
  EXPECT_EQ(std::get<CoRequest>((*whole)->body).stub.size(), 8u);
  EXPECT_EQ(r.in_progress(), 0u);
  r.add(first);
  r.discard(7);
  EXPECT_EQ(r.in_progress(), 0u);
}

TEST(ClCallReassembler, LateDuplicateOfADeliveredCallIsIgnored) {
  ClPdu whole = testing::sample_cl_pdus(ByteOrder::little)[0];
  whole.body = ClRaw{Bytes(30, 1)};
  const auto frags = *fragment_cl(whole, 10);
  ClCallReassembler r;
  int delivered = 0;
  for (const ClPdu& f : frags)
    delivered += r.add(f)->has_value() ? 1 : 0;
  EXPECT_EQ(delivered, 1);
  auto late = r.add(frags[1]);
  ASSERT_TRUE(late.ok());
  EXPECT_FALSE(late->has_value());
  EXPECT_EQ(r.in_progress(), 0u);
}

TEST(ClCallReassembler, AcknowledgementNamesTheFragmentsThatArrived) {
  ClPdu whole = testing::sample_cl_pdus(ByteOrder::little)[0];
  whole.body = ClRaw{Bytes(100, 1)};
  const auto frags = *fragment_cl(whole, 10);  // fragments 0..9
  ClCallReassembler r;
  EXPECT_EQ(r.acknowledgement(frags[0]).through, 0xFFFF);  // nothing yet
  ASSERT_TRUE(r.add(frags[3]).ok());
  auto none_in_order = r.acknowledgement(frags[3]);
  EXPECT_EQ(none_in_order.through, 0xFFFF);
  ASSERT_EQ(none_in_order.selack.size(), 1u);
  EXPECT_EQ(none_in_order.selack[0], 1u << 3);  // bit i: fragment through + 1 + i
  for (int i : {0, 1, 5, 9})
    ASSERT_TRUE(r.add(frags[static_cast<std::size_t>(i)]).ok());
  auto ack = r.acknowledgement(frags[0]);
  EXPECT_EQ(ack.through, 1);
  ASSERT_EQ(ack.selack.size(), 1u);
  EXPECT_EQ(ack.selack[0], (1u << 1) | (1u << 3) | (1u << 7));  // fragments 3, 5, 9
  for (int i : {2, 4, 6, 7, 8})
    ASSERT_TRUE(r.add(frags[static_cast<std::size_t>(i)]).ok());
  auto done = r.acknowledgement(frags[0]);  // delivered: all of them
  EXPECT_EQ(done.through, 9);
  EXPECT_TRUE(done.selack.empty());
}

// Fragment `fragnum` of the sample request call, FRAG set, with `body_size` bytes.
ClPdu cl_fragment(std::uint16_t fragnum, std::size_t body_size = 0, bool last = false) {
  ClPdu f = testing::sample_cl_pdus(ByteOrder::little)[0];
  f.fragnum = fragnum;
  f.flags1 = static_cast<std::uint8_t>(clf1::kFrag | (last ? clf1::kLastFrag : 0));
  f.body = ClRaw{Bytes(body_size, 0x5A)};
  return f;
}

TEST(ClCallReassembler, AcknowledgementFollowsInOrderFragmentsWithoutRescanning) {
  // 20000 empty fragments, a fack after each: `through` is kept up incrementally, so the whole
  // call costs linear time; every acknowledgement names exactly the fragments so far.
  ClCallReassembler r;
  const ClPdu proto = cl_fragment(0);
  constexpr std::uint16_t kCount = 20000;
  for (std::uint16_t i = 0; i < kCount; ++i) {
    ClPdu f = proto;
    f.fragnum = i;
    auto out = r.add(f);
    ASSERT_TRUE(out.ok()) << i << ": " << out.error().to_string();
    ASSERT_FALSE(out->has_value());
    const ClAcknowledgement ack = r.acknowledgement(f);
    ASSERT_EQ(ack.through, i);
    ASSERT_TRUE(ack.selack.empty()) << i;
  }
  EXPECT_EQ(r.in_progress(), 1u);
  EXPECT_EQ(r.held(), std::size_t{kCount} * kClHeaderSize);
  auto done = r.add(cl_fragment(kCount, 3, true));
  ASSERT_TRUE(done.ok() && done->has_value());
  EXPECT_EQ(std::get<ClRaw>((*done)->body).body.size(), 3u);
  EXPECT_EQ(r.held(), 0u);
}

TEST(ClCallReassembler, FragmentsBeyondTheReceptionWindowAreDroppedUnstored) {
  ClCallReassembler r;  // max_fragments_ahead 256
  auto far = r.add(cl_fragment(65534, 10));
  ASSERT_TRUE(far.ok()) << "dropped, not an error";
  EXPECT_FALSE(far->has_value());
  EXPECT_EQ(r.in_progress(), 0u) << "not even a partial call is kept";
  EXPECT_EQ(r.held(), 0u);
  const ClAcknowledgement none = r.acknowledgement(cl_fragment(65534));
  EXPECT_EQ(none.through, 0xFFFF);
  EXPECT_TRUE(none.selack.empty());

  // The window is the first missing fragment (0) and the 255 after it.
  ASSERT_TRUE(r.add(cl_fragment(256)).ok());
  EXPECT_EQ(r.in_progress(), 0u);
  ASSERT_TRUE(r.add(cl_fragment(255)).ok());
  EXPECT_EQ(r.in_progress(), 1u);
  ClAcknowledgement ack = r.acknowledgement(cl_fragment(255));
  EXPECT_EQ(ack.through, 0xFFFF);
  ASSERT_EQ(ack.selack.size(), 256u / 32);
  EXPECT_EQ(ack.selack.back(), 1u << 31);
  ASSERT_TRUE(r.add(cl_fragment(256)).ok());
  EXPECT_EQ(r.held(), kClHeaderSize) << "256 is still beyond";

  // The window moves with the first missing fragment.
  for (std::uint16_t i = 0; i < 10; ++i)
    ASSERT_TRUE(r.add(cl_fragment(i)).ok());
  ASSERT_TRUE(r.add(cl_fragment(265)).ok());
  ASSERT_TRUE(r.add(cl_fragment(266)).ok());
  ack = r.acknowledgement(cl_fragment(0));
  EXPECT_EQ(ack.through, 9);
  EXPECT_EQ(ack.selack.size(), 256u / 32);  // fragments 255 and 265; 266 was dropped
  EXPECT_EQ(r.held(), 12 * kClHeaderSize);
}

TEST(ClCallReassembler, EachFragmentCountsItsHeaderAgainstTheCallSize) {
  ClCallReassembler r(CallLimits{3 * kClHeaderSize + 10, 4});
  for (std::uint16_t i = 0; i < 3; ++i)
    ASSERT_TRUE(r.add(cl_fragment(i)).ok()) << i;
  EXPECT_EQ(r.held(), 3 * kClHeaderSize);
  auto small = r.add(cl_fragment(3, 10));  // 10 bytes fit, but not its header
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.error().code, ErrorCode::limit_exceeded);
  EXPECT_EQ(r.in_progress(), 0u);
  EXPECT_EQ(r.held(), 0u);
  // A call of 3 fragments with 10 body bytes in all fits exactly.
  ASSERT_TRUE(r.add(cl_fragment(0, 4)).ok());
  ASSERT_TRUE(r.add(cl_fragment(1, 6)).ok());
  auto whole = r.add(cl_fragment(2, 0, true));
  ASSERT_TRUE(whole.ok() && whole->has_value());
  EXPECT_EQ(std::get<ClRaw>((*whole)->body).body.size(), 10u);
}

TEST(ClCallReassembler, HeldCountsEveryPartialCallUntilItEnds) {
  ClCallReassembler r;
  ClPdu other = cl_fragment(0, 100);
  other.seqnum += 1;
  ASSERT_TRUE(r.add(cl_fragment(1, 20)).ok());
  ASSERT_TRUE(r.add(other).ok());
  EXPECT_EQ(r.held(), 120 + 2 * kClHeaderSize);
  ASSERT_TRUE(r.add(cl_fragment(1, 20)).ok());  // a duplicate costs nothing more
  EXPECT_EQ(r.held(), 120 + 2 * kClHeaderSize);
  auto whole = r.add(cl_fragment(0, 5, false));
  ASSERT_TRUE(whole.ok());
  EXPECT_FALSE(whole->has_value());
  auto done = r.add(cl_fragment(2, 0, true));
  ASSERT_TRUE(done.ok() && done->has_value());
  EXPECT_EQ(r.held(), 100 + kClHeaderSize) << "the delivered call no longer counts";
  ClPdu last = other;
  last.fragnum = 2;
  last.flags1 |= clf1::kLastFrag;
  last.body = ClRaw{};
  ASSERT_TRUE(r.add(last).ok());
  EXPECT_EQ(r.held(), 100 + 2 * kClHeaderSize);
  ClPdu after_last = last;
  after_last.fragnum = 3;
  EXPECT_EQ(r.add(after_last).error().code, ErrorCode::sequence);
  EXPECT_EQ(r.in_progress(), 0u);
  EXPECT_EQ(r.held(), 0u) << "a call dropped for an error no longer counts";
}

}  // namespace
}  // namespace rpcfit::wire
