#include "harness/wire/stream.h"

#include <gtest/gtest.h>

#include "harness/wire/codec.h"
#include "harness/wire/test_pdus.h"

namespace rpcfit::wire {
namespace {

Bytes concatenated_samples() {
  Bytes all;
  for (const CoPdu& p : testing::sample_co_pdus(ByteOrder::little)) {
    const Bytes b = encode(p);
    all.insert(all.end(), b.begin(), b.end());
  }
  return all;
}

std::vector<StreamFrame> drain(StreamSplitter& s) {
  std::vector<StreamFrame> out;
  while (auto next = s.next()) {
    EXPECT_TRUE(next->ok()) << next->error().to_string();
    if (!next->ok()) break;
    out.push_back(std::move(next->value()));
  }
  return out;
}

TEST(StreamSplitter, SplitsAStreamCutAtEveryChunkSize) {
  const Bytes stream = concatenated_samples();
  const auto expected = testing::sample_co_pdus(ByteOrder::little);
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 16u, 17u, 100u, 4096u}) {
    SCOPED_TRACE(chunk);
    StreamSplitter s;
    std::vector<StreamFrame> frames;
    for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
      const std::size_t n = std::min(chunk, stream.size() - pos);
      s.feed(ByteView(stream).subspan(pos, n));
      for (auto& f : drain(s))
        frames.push_back(std::move(f));
    }
    ASSERT_EQ(frames.size(), expected.size());
    std::uint64_t offset = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      EXPECT_EQ(frames[i].begin, offset);
      EXPECT_EQ(frames[i].bytes, encode(expected[i]));
      offset = frames[i].end;
    }
    EXPECT_EQ(offset, stream.size());
    EXPECT_EQ(s.buffered(), 0u);
  }
}

TEST(StreamSplitter, WaitsForTheRestOfAFragment) {
  const Bytes pdu = testing::hex("05 00 12 06 10 00 00 00 10 00 00 00 01 00 00 00");
  StreamSplitter s;
  s.feed(ByteView(pdu).first(15));
  EXPECT_FALSE(s.next().has_value());
  s.feed(ByteView(pdu).subspan(15));
  auto f = s.next();
  ASSERT_TRUE(f && f->ok());
  EXPECT_EQ((*f)->end, 16u);
}

TEST(StreamSplitter, RejectsABadHeaderAndStaysFailedUntilResync) {
  StreamSplitter s;
  s.feed(testing::hex("05 00 12 06 10 00 00 00 10 00 00 00 01 00 00 00"));
  s.feed(testing::hex("47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31 0d 0a"));
  ASSERT_TRUE(s.next()->ok());
  auto bad = s.next();
  ASSERT_TRUE(bad.has_value());
  ASSERT_FALSE(bad->ok());
  EXPECT_EQ(bad->error().code, ErrorCode::bad_version);
  EXPECT_NE(bad->error().detail.find("stream offset 16"), std::string::npos);
  EXPECT_TRUE(s.failed());
  s.feed(testing::hex("05 00 12 06 10 00 00 00 10 00 00 00 02 00 00 00"));
  EXPECT_FALSE(s.next()->ok());
  s.resync(100);
  s.feed(testing::hex("05 00 13 03 10 00 00 00 10 00 00 00 08 00 00 00"));
  auto good = s.next();
  ASSERT_TRUE(good && good->ok());
  EXPECT_EQ((*good)->begin, 100u);
}

TEST(StreamSplitter, EnforcesTheFragmentLimitBeforeBuffering) {
  StreamSplitter s(StreamLimits{1024});
  // A header announcing 0xfff0 bytes: rejected at once, not buffered for.
  s.feed(testing::hex("05 00 00 03 10 00 00 00 f0 ff 00 00 01 00 00 00"));
  auto r = s.next();
  ASSERT_TRUE(r.has_value());
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->error().code, ErrorCode::limit_exceeded);
  s.feed(Bytes(4096, 0));
  EXPECT_EQ(s.buffered(), 16u);  // nothing more is kept once the stream has failed
}

}  // namespace
}  // namespace rpcfit::wire
