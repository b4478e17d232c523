// WireSink: the client's view of the wire as the checks read it. A stream's PDUs are whole as a
// receiver sees them however they were written; the run's own sink still gets every write.
#include "drivers/inproc/wire_sink.h"

#include <gtest/gtest.h>

#include <chrono>

#include "drivers/transport/test_support.h"
#include "harness/wire/codec.h"

namespace rpcfit::inproc {
namespace {

using std::chrono::milliseconds;
using transport::test_support::cancel_pdu;
using transport::test_support::concat;
using transport::test_support::Recorder;
using transport::test_support::request_pdu;

class WireSinkTest : public ::testing::Test {
 protected:
  WireSinkTest() : sink_(clock_, &forward_) {
    sink_.connection_opened(clock_.wall(Duration{0}), client_, server_);
  }

  // Writes `bytes` from the client (or to it) at scenario instant `at`.
  void write(Bytes bytes, milliseconds at, bool from_client = true,
             TransportKind transport = TransportKind::tcp) {
    CapturedPdu pdu;
    pdu.time = clock_.wall(at);
    pdu.transport = transport;
    pdu.src = from_client ? client_ : server_;
    pdu.dst = from_client ? server_ : client_;
    pdu.bytes = std::move(bytes);
    sink_.pdu(pdu);
  }

  // Writes `bytes` in `piece`-byte writes, `gap` apart from `at`.
  void write_in_pieces(const Bytes& bytes, std::size_t piece, milliseconds at, milliseconds gap,
                       bool from_client = true) {
    for (std::size_t off = 0; off < bytes.size(); off += piece, at += gap) {
      const auto end =
          bytes.begin() + static_cast<std::ptrdiff_t>(std::min(off + piece, bytes.size()));
      write(Bytes(bytes.begin() + static_cast<std::ptrdiff_t>(off), end), at, from_client);
    }
  }

  FakeClock clock_;
  Recorder forward_;
  WireSink sink_;
  Endpoint client_ = *Endpoint::parse("127.0.0.1:49152");
  Endpoint server_ = *Endpoint::parse("127.0.0.1:135");
};

TEST_F(WireSinkTest, WholePdusAreKeptAsWrittenWithTheirDirection) {
  const Bytes request = request_pdu(2, 40);
  const Bytes cancel = cancel_pdu(2);
  write(request, milliseconds(0));
  write(cancel, milliseconds(100));
  write(cancel_pdu(7), milliseconds(150), /*from_client=*/false);
  const auto pdus = sink_.pdus();
  ASSERT_EQ(pdus.size(), 3u);
  EXPECT_EQ(pdus[0].bytes, request);
  EXPECT_TRUE(pdus[0].out);
  EXPECT_EQ(pdus[1].bytes, cancel);
  EXPECT_EQ(pdus[1].at, milliseconds(100));
  EXPECT_FALSE(pdus[2].out);
  EXPECT_EQ(forward_.of(Recorder::Kind::pdu).size(), 3u);
}

TEST_F(WireSinkTest, APduWrittenInPiecesIsOnePduStampedAtItsLastPiece) {
  const Bytes cancel = cancel_pdu(2);  // 16 bytes: four 4-byte writes at 100, 120, 140, 160 ms
  write(request_pdu(2, 40), milliseconds(0));
  write_in_pieces(cancel, 4, milliseconds(100), milliseconds(20));
  const auto pdus = sink_.pdus();
  ASSERT_EQ(pdus.size(), 2u);
  EXPECT_EQ(pdus[1].bytes, cancel);
  EXPECT_EQ(pdus[1].at, milliseconds(160));
  EXPECT_TRUE(pdus[1].out);
  ASSERT_TRUE(wire::decode_co(pdus[1].bytes));
  // The run's own sink (the pcap) gets each write as it was.
  EXPECT_EQ(forward_.of(Recorder::Kind::pdu).size(), 5u);
}

TEST_F(WireSinkTest, PiecesOfTheTwoDirectionsAreKeptApart) {
  const Bytes up = request_pdu(3, 64);
  const Bytes down = cancel_pdu(9);
  // Interleaved: client piece, server piece, ...
  for (std::size_t off = 0; off < up.size(); off += 8) {
    const auto at = milliseconds(static_cast<long>(off));
    write(Bytes(up.begin() + static_cast<std::ptrdiff_t>(off),
                up.begin() + static_cast<std::ptrdiff_t>(std::min(off + 8, up.size()))),
          at);
    if (off < down.size()) {
      write(Bytes(down.begin() + static_cast<std::ptrdiff_t>(off),
                  down.begin() + static_cast<std::ptrdiff_t>(std::min(off + 8, down.size()))),
            at, /*from_client=*/false);
    }
  }
  const auto pdus = sink_.pdus();
  ASSERT_EQ(pdus.size(), 2u);
  EXPECT_EQ(pdus[0].bytes, down);
  EXPECT_FALSE(pdus[0].out);
  EXPECT_EQ(pdus[0].at, milliseconds(8));
  EXPECT_EQ(pdus[1].bytes, up);
  EXPECT_TRUE(pdus[1].out);
  EXPECT_EQ(pdus[1].at, milliseconds(56));
}

TEST_F(WireSinkTest, TwoPdusInOneWriteAreTwo) {
  const Bytes cancel = cancel_pdu(2);
  write(concat(request_pdu(2, 32), cancel), milliseconds(10));
  const auto pdus = sink_.pdus();
  ASSERT_EQ(pdus.size(), 2u);
  EXPECT_EQ(pdus[0].bytes, request_pdu(2, 32));
  EXPECT_EQ(pdus[1].bytes, cancel);
}

TEST_F(WireSinkTest, AHeaderNoReaderWouldTrustIsKeptAsWritten) {
  Bytes bad = request_pdu(2, 40);
  bad[8] = 7;  // frag_length 7: shorter than the header
  bad[9] = 0;
  write(bad, milliseconds(5));
  Bytes worse = cancel_pdu(3);
  worse[0] = 9;  // rpc_vers 9, after two bytes of it came alone
  write(Bytes(worse.begin(), worse.begin() + 2), milliseconds(6));
  write(Bytes(worse.begin() + 2, worse.end()), milliseconds(7));
  write(cancel_pdu(4), milliseconds(8));
  const auto pdus = sink_.pdus();
  ASSERT_EQ(pdus.size(), 3u);
  EXPECT_EQ(pdus[0].bytes, bad);
  EXPECT_FALSE(wire::decode_co(pdus[0].bytes));
  EXPECT_EQ(pdus[1].bytes, worse);
  EXPECT_EQ(pdus[1].at, milliseconds(7));
  EXPECT_EQ(pdus[2].bytes, cancel_pdu(4));
}

TEST_F(WireSinkTest, APduItsConnectionDidNotFinishIsKeptWhenTheConnectionCloses) {
  const Bytes request = request_pdu(2, 40);
  write(Bytes(request.begin(), request.begin() + 20), milliseconds(50));
  EXPECT_TRUE(sink_.pdus().empty()) << "a PDU's first bytes are not a PDU yet";
  sink_.connection_closed(clock_.wall(milliseconds(70)), client_, server_);
  const auto pdus = sink_.pdus();
  ASSERT_EQ(pdus.size(), 1u);
  EXPECT_EQ(pdus[0].bytes, Bytes(request.begin(), request.begin() + 20));
  EXPECT_EQ(pdus[0].at, milliseconds(50));
  EXPECT_TRUE(pdus[0].out);
  EXPECT_EQ(forward_.of(Recorder::Kind::closed).size(), 1u);
}

TEST_F(WireSinkTest, DatagramsAreKeptAsTheyCame) {
  // A datagram is whole by nature, even one too short for a header.
  const Bytes shorty{4, 0, 8};
  write(shorty, milliseconds(1), true, TransportKind::udp);
  const auto pdus = sink_.pdus();
  ASSERT_EQ(pdus.size(), 1u);
  EXPECT_EQ(pdus[0].bytes, shorty);
  EXPECT_EQ(pdus[0].transport, TransportKind::udp);
}

}  // namespace
}  // namespace rpcfit::inproc
