#include "captures/tcp_stream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace rpcfit::captures {
namespace {

constexpr std::uint32_t kIsn = 1000;  // data starts at kIsn + 1

Bytes text(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

// A delivered chunk reduced to what the tests compare.
struct Got {
  std::uint64_t offset;
  std::string data;
  std::uint64_t frame;
  bool operator==(const Got&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Got& g) {
  return os << "{" << g.offset << ", \"" << g.data << "\", frame " << g.frame << "}";
}

std::vector<Got> take(TcpDirection& d) {
  std::vector<Got> out;
  for (const StreamChunk& c : d.take()) {
    out.push_back(Got{c.offset, std::string(c.data.begin(), c.data.end()), c.frame});
  }
  return out;
}

// Sends `s` at stream offset `offset` of a direction that began with SYN kIsn.
void data(TcpDirection& d, std::uint64_t frame, std::uint32_t offset, const std::string& s) {
  const Bytes bytes = text(s);
  d.segment(frame, kIsn + 1 + offset, bytes, false, false, false);
}

TcpDirection opened(std::size_t bound = std::size_t{4} << 20) {
  TcpDirection d(bound);
  d.segment(1, kIsn, {}, true, false, false);
  return d;
}

TEST(TcpDirection, InOrderDataIsDeliveredAtOnceWithItsFrame) {
  TcpDirection d = opened();
  data(d, 2, 0, "abc");
  EXPECT_EQ(take(d), (std::vector<Got>{{0, "abc", 2}}));
  data(d, 3, 3, "de");
  data(d, 4, 5, "f");
  EXPECT_EQ(take(d), (std::vector<Got>{{3, "de", 3}, {5, "f", 4}}));
  EXPECT_EQ(d.lost_bytes(), 0u);
  EXPECT_EQ(d.next_offset(), 6u);
}

TEST(TcpDirection, RetransmissionIsDropped) {
  TcpDirection d = opened();
  data(d, 2, 0, "abcd");
  data(d, 3, 0, "abcd");
  data(d, 4, 1, "bc");
  EXPECT_EQ(take(d), (std::vector<Got>{{0, "abcd", 2}}));
}

TEST(TcpDirection, OverlapWithDeliveredDataDeliversOnlyTheNewPart) {
  TcpDirection d = opened();
  data(d, 2, 0, "abcd");
  data(d, 3, 2, "cdef");
  EXPECT_EQ(take(d), (std::vector<Got>{{0, "abcd", 2}, {4, "ef", 3}}));
}

TEST(TcpDirection, OutOfOrderDataWaitsAndTakesTheFrameThatFillsTheHole) {
  TcpDirection d = opened();
  data(d, 2, 0, "abc");
  data(d, 3, 6, "ghi");
  data(d, 4, 9, "jk");
  EXPECT_EQ(take(d), (std::vector<Got>{{0, "abc", 2}}));
  EXPECT_EQ(d.buffered_bytes(), 5u);
  data(d, 5, 3, "def");
  EXPECT_EQ(take(d), (std::vector<Got>{{3, "defghijk", 5}}));
  EXPECT_EQ(d.buffered_bytes(), 0u);
  EXPECT_EQ(d.lost_bytes(), 0u);
}

TEST(TcpDirection, OverlappingBufferedCopiesKeepTheFirst) {
  TcpDirection d = opened();
  data(d, 2, 5, "XXXXX");
  data(d, 3, 7, "YYYYY");
  data(d, 4, 4, "ZZ");
  EXPECT_EQ(d.buffered_bytes(), 8u);
  data(d, 5, 0, "abcdef");
  EXPECT_EQ(take(d), (std::vector<Got>{{0, "abcdZXXXXXYY", 5}}));
}

TEST(TcpDirection, PeerAckBeyondTheHoleGivesItUpAndPiecesKeepTheirFrames) {
  TcpDirection d = opened();
  data(d, 2, 0, "abc");
  data(d, 3, 6, "ghi");
  data(d, 4, 12, "mn");
  data(d, 5, 9, "jkl");
  d.peer_ack(6, kIsn + 1 + 3);  // acknowledges up to the hole, not beyond: keep waiting
  EXPECT_EQ(take(d), (std::vector<Got>{{0, "abc", 2}}));
  d.peer_ack(7, kIsn + 1 + 14);
  EXPECT_EQ(take(d), (std::vector<Got>{{6, "ghi", 3}, {9, "jkl", 5}, {12, "mn", 4}}));
  EXPECT_EQ(d.lost_bytes(), 3u);
  data(d, 8, 3, "def");  // the late retransmission of the lost bytes is dropped
  EXPECT_TRUE(take(d).empty());
}

TEST(TcpDirection, SegmentBeyondAnAlreadyAcknowledgedHoleIsDeliveredAtOnce) {
  TcpDirection d = opened();
  data(d, 2, 0, "abc");
  d.peer_ack(3, kIsn + 1 + 7);
  data(d, 4, 6, "ghi");
  EXPECT_EQ(take(d), (std::vector<Got>{{0, "abc", 2}, {6, "ghi", 4}}));
  EXPECT_EQ(d.lost_bytes(), 3u);
}

TEST(TcpDirection, SegmentBeyondAHoleNotYetAcknowledgedWaits) {
  TcpDirection d = opened();
  data(d, 2, 0, "abc");
  d.peer_ack(3, kIsn + 1 + 3);
  data(d, 4, 6, "ghi");
  EXPECT_EQ(take(d), (std::vector<Got>{{0, "abc", 2}}));
}

TEST(TcpDirection, FinishGivesUpEveryHole) {
  TcpDirection d = opened();
  data(d, 2, 2, "cd");
  data(d, 3, 6, "gh");
  EXPECT_TRUE(take(d).empty());
  d.finish();
  EXPECT_EQ(take(d), (std::vector<Got>{{2, "cd", 2}, {6, "gh", 3}}));
  EXPECT_EQ(d.lost_bytes(), 4u);
  EXPECT_EQ(d.buffered_bytes(), 0u);
}

TEST(TcpDirection, FinGivesUpTheHole) {
  TcpDirection d = opened();
  data(d, 2, 0, "ab");
  data(d, 3, 4, "ef");
  const Bytes last = text("g");
  d.segment(4, kIsn + 1 + 6, last, false, true, false);
  EXPECT_EQ(take(d), (std::vector<Got>{{0, "ab", 2}, {4, "ef", 3}, {6, "g", 4}}));
  EXPECT_EQ(d.lost_bytes(), 2u);
}

TEST(TcpDirection, RstPayloadIsNotStreamData) {
  TcpDirection d = opened();
  data(d, 2, 0, "ab");
  const Bytes diagnostic = text("reset");
  d.segment(3, kIsn + 1 + 2, diagnostic, false, false, true);
  EXPECT_EQ(take(d), (std::vector<Got>{{0, "ab", 2}}));
}

TEST(TcpDirection, SequenceWrapAround) {
  TcpDirection d;
  const std::uint32_t isn = 0xfffffff0u;
  d.segment(1, isn, {}, true, false, false);
  const Bytes first = text("0123456789abcdefghij");  // crosses 2^32
  const Bytes third = text("XYZ");
  const Bytes second = text("klm");
  d.segment(2, isn + 1, first, false, false, false);
  d.segment(3, 0x00000008u, third, false, false, false);   // offset 23, after a hole
  d.segment(4, 0x00000005u, second, false, false, false);  // offset 20 fills it
  EXPECT_EQ(take(d), (std::vector<Got>{{0, "0123456789abcdefghij", 2}, {20, "klmXYZ", 4}}));
  d.peer_ack(5, 0x0000000bu);
  EXPECT_EQ(d.lost_bytes(), 0u);
}

TEST(TcpDirection, OffsetsKeepGrowingPastManyWraps) {
  TcpDirection d;
  const std::uint32_t isn = 0x7ffffff0u;
  d.segment(1, isn, {}, true, false, false);
  const Bytes one = text("x");
  const std::uint64_t step = std::uint64_t{1} << 30;
  // Each byte lies a quarter of the sequence space beyond the last, past a hole the peer has
  // already acknowledged, so the stream advances without gigabytes of data.
  for (std::uint64_t i = 0; i < 20; ++i) {
    const auto seq = static_cast<std::uint32_t>(isn + 1 + i * step);
    d.peer_ack(2 * i + 2, seq);
    d.segment(2 * i + 3, seq, one, false, false, false);
    const std::vector<Got> got = take(d);
    ASSERT_EQ(got, (std::vector<Got>{{i * step, "x", 2 * i + 3}})) << i;
  }
  EXPECT_EQ(d.lost_bytes(), 19 * (step - 1));
}

TEST(TcpDirection, BoundExceededGivesUpTheFirstHole) {
  TcpDirection d = opened(10);
  data(d, 2, 0, "abc");
  data(d, 3, 5, "fghijk");  // 6 buffered
  EXPECT_TRUE(take(d).size() == 1u);
  data(d, 4, 13, "nopqrs");  // 12 would be buffered: the first hole goes
  EXPECT_EQ(take(d), (std::vector<Got>{{5, "fghijk", 3}}));
  EXPECT_EQ(d.lost_bytes(), 2u);
  EXPECT_EQ(d.buffered_bytes(), 6u);
  data(d, 5, 11, "lm");
  EXPECT_EQ(take(d), (std::vector<Got>{{11, "lmnopqrs", 5}}));
}

TEST(TcpDirection, CaptureStartingMidConnectionStartsAtTheFirstSegment) {
  TcpDirection d;
  d.peer_ack(1, 77);  // nothing to relate it to yet
  const Bytes a = text("mid");
  d.segment(2, 50000, a, false, false, false);
  const Bytes before = text("old");
  d.segment(3, 49990, before, false, false, false);
  EXPECT_EQ(take(d), (std::vector<Got>{{0, "mid", 2}}));
}

TEST(TcpDirection, RepeatedSynIsIgnored) {
  TcpDirection d = opened();
  data(d, 2, 0, "ab");
  d.segment(3, kIsn, {}, true, false, false);
  data(d, 4, 2, "cd");
  EXPECT_EQ(take(d), (std::vector<Got>{{0, "ab", 2}, {2, "cd", 4}}));
  EXPECT_EQ(d.restarts(), 0u);
}

TEST(TcpDirection, NewIsnOnAClosedDirectionRestartsTheStream) {
  TcpDirection d = opened();
  data(d, 2, 0, "old");
  d.segment(3, kIsn + 4, {}, false, true, false);
  d.segment(4, 90000, {}, true, false, false);
  const Bytes fresh = text("new");
  d.segment(5, 90001, fresh, false, false, false);
  const std::vector<StreamChunk> chunks = d.take();
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_FALSE(chunks[0].restart);
  EXPECT_TRUE(chunks[1].restart);
  EXPECT_EQ(chunks[1].offset, 0u);
  EXPECT_EQ(chunks[1].frame, 5u);
  EXPECT_EQ(d.restarts(), 1u);
}

TEST(TcpDirection, NewIsnOnAnOpenDirectionIsIgnored) {
  TcpDirection d = opened();
  data(d, 2, 0, "ab");
  const Bytes stray = text("zz");
  d.segment(3, 90000, stray, true, false, false);
  data(d, 4, 2, "cd");
  EXPECT_EQ(take(d), (std::vector<Got>{{0, "ab", 2}, {2, "cd", 4}}));
  EXPECT_EQ(d.restarts(), 0u);
}

TEST(TcpDirection, ManyTinyPiecesStayBounded) {
  TcpDirection d = opened(std::size_t{1} << 30);
  const Bytes one = text("x");
  // Every other byte, so no two pieces merge; the piece count bound must give holes up.
  for (std::uint32_t i = 0; i < 200000; ++i) {
    d.segment(i + 2, kIsn + 1 + 1 + 2 * i, one, false, false, false);
  }
  EXPECT_LE(d.buffered_bytes(), 65537u);
  EXPECT_GT(d.lost_bytes(), 0u);
}

// Segments of random sizes, reordered within a window, some sent twice with shifted bounds: with
// nothing missing, the stream comes out exactly and whole.
TEST(TcpDirection, ReorderedAndDuplicatedSegmentsReassembleExactly) {
  std::mt19937 random(20240611);  // fixed: a failure must reproduce
  for (int round = 0; round < 50; ++round) {
    Bytes original(3000);
    for (auto& b : original) {
      b = static_cast<std::uint8_t>(random());
    }
    struct Seg {
      std::size_t begin;
      std::size_t end;
    };
    std::vector<Seg> segs;
    for (std::size_t at = 0; at < original.size();) {
      const std::size_t len = std::min<std::size_t>(1 + random() % 200, original.size() - at);
      segs.push_back({at, at + len});
      if (random() % 4 == 0) {  // an overlapping copy
        const std::size_t from = at >= 50 ? at - random() % 50 : at;
        segs.push_back({from, std::min(original.size(), at + len + random() % 50)});
      }
      at += len;
    }
    for (std::size_t i = 0; i + 1 < segs.size(); ++i) {
      const std::size_t j = i + random() % std::min<std::size_t>(4, segs.size() - i);
      std::swap(segs[i], segs[j]);
    }
    TcpDirection d = opened();
    std::uint64_t frame = 2;
    for (const Seg& s : segs) {
      const ByteView part = ByteView(original).subspan(s.begin, s.end - s.begin);
      d.segment(frame++, kIsn + 1 + static_cast<std::uint32_t>(s.begin), part, false, false, false);
    }
    d.finish();
    Bytes out;
    for (const StreamChunk& c : d.take()) {
      ASSERT_EQ(c.offset, out.size());
      out.insert(out.end(), c.data.begin(), c.data.end());
    }
    EXPECT_EQ(out, original) << "round " << round;
    EXPECT_EQ(d.lost_bytes(), 0u);
  }
}

// Whether an ACK that covers part of a hole arrives before or after the segment beyond the hole,
// the same bytes are given up and the same chunks delivered.
TEST(TcpDirection, AckAndSegmentOrderDoesNotChangeWhatIsGivenUp) {
  auto run = [](bool ack_first) {
    TcpDirection d = opened();
    data(d, 1, 0, "abc");
    if (ack_first) d.peer_ack(2, kIsn + 1 + 5);
    data(d, 3, 6, "ghi");
    if (!ack_first) d.peer_ack(4, kIsn + 1 + 5);
    data(d, 5, 5, "f");  // late: its bytes were given up with the hole
    auto got = take(d);
    EXPECT_EQ(d.lost_bytes(), 3u);
    return got;
  };
  const auto ack_first = run(true);
  const auto segment_first = run(false);
  EXPECT_EQ(ack_first, segment_first);
  ASSERT_EQ(ack_first.size(), 2u);
  EXPECT_EQ(ack_first[1], (Got{6, "ghi", 3}));
}

}  // namespace
}  // namespace rpcfit::captures
