// Normalization: two captures of the same exchange, made with other ports, call_ids, association
// groups, context ids, activities, boot times and seqnums, normalize to the same PDUs; what the
// scenario's behaviour decides (types, flags, opnums, counts, statuses, lengths) is kept.
#include "captures/normalize.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <utility>

#include "captures/golden.h"
#include "captures/pcap_writer.h"
#include "harness/core/digest.h"
#include "harness/wire/codec.h"

namespace rpcfit::captures {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using wire::PType;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::path(::testing::TempDir()) / "rpcfit-norm-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// What one implementation chose for the identifiers of one exchange.
struct Choices {
  std::uint16_t client_port = 40000;
  std::uint16_t server_port = 5000;
  std::uint32_t first_call_id = 7;
  std::uint32_t assoc_group = 0x1234;
  std::uint16_t context = 3;
  wire::Uuid activity = *wire::Uuid::parse("11111111-2222-4333-8444-555555555555");
  std::uint32_t boot = 1700000001;
  std::uint32_t first_seqnum = 5;
  ByteOrder order = ByteOrder::little;
  Timestamp start = std::chrono::seconds(1767225600);
  std::uint8_t cancel_count = 1;  // what the server's fault says
  std::string secondary_address = "5000";
  std::uint8_t stub_byte = 0xab;  // the request's 64 stub bytes
};

std::array<std::uint8_t, 4> co_drep(ByteOrder order) {
  return {order == ByteOrder::little ? wire::kDrepLittle : wire::kDrepBig, 0, 0, 0};
}

wire::CoPdu co(PType type, std::uint32_t call_id, ByteOrder order, std::uint8_t flags) {
  wire::CoPdu p;
  p.type = type;
  p.call_id = call_id;
  p.flags = flags;
  p.drep = co_drep(order);
  p.body = wire::co_default_body(type);
  return p;
}

wire::ClPdu cl(PType type, const Choices& c, std::uint32_t boot) {
  wire::ClPdu p;
  p.type = type;
  p.drep = {c.order == ByteOrder::little ? wire::kDrepLittle : wire::kDrepBig, 0, 0};
  p.activity = c.activity;
  p.server_boot = boot;
  p.seqnum = c.first_seqnum;
  p.opnum = 3;
  p.flags1 = wire::clf1::kNoFack;
  p.body = wire::cl_default_body(type);
  return p;
}

// A cancelled connection-oriented call and a cancelled datagram call, written as a pcap.
std::string exchange(const TempDir& dir, const std::string& name, const Choices& c) {
  const std::string file = dir / name;
  auto writer = PcapWriter::open(file);
  EXPECT_TRUE(writer.ok());
  const Endpoint client{IpAddress::loopback_v4(), c.client_port};
  const Endpoint server{IpAddress::loopback_v4(), c.server_port};
  Timestamp t = c.start;
  auto send = [&](TransportKind transport, bool from_client, Bytes bytes,
                  std::chrono::microseconds after) {
    t += after;
    Endpoint from = from_client ? client : server;
    Endpoint to = from_client ? server : client;
    if (transport == TransportKind::udp) {
      from.port = static_cast<std::uint16_t>(from.port + 1);
      to.port = static_cast<std::uint16_t>(to.port + 1);
    }
    (*writer)->pdu(CapturedPdu{t, transport, from, to, std::move(bytes)});
  };
  using wire::pfc::kFirstFrag;
  using wire::pfc::kLastFrag;
  using wire::pfc::kPendingCancel;
  wire::CoPdu bind = co(PType::bind, c.first_call_id, c.order, kFirstFrag | kLastFrag);
  auto& b = std::get<wire::CoBind>(bind.body);
  b.max_xmit_frag = b.max_recv_frag = 5840;
  b.contexts.push_back({c.context, {}, {wire::ndr_syntax()}});
  send(TransportKind::tcp, true, wire::encode(bind), 100us);
  wire::CoPdu ack = co(PType::bind_ack, c.first_call_id, c.order, kFirstFrag | kLastFrag);
  std::get<wire::CoBindAck>(ack.body).assoc_group_id = c.assoc_group;
  std::get<wire::CoBindAck>(ack.body).max_xmit_frag = 5840;
  std::get<wire::CoBindAck>(ack.body).secondary_address = c.secondary_address;
  std::get<wire::CoBindAck>(ack.body).secondary_address_nul = true;
  std::get<wire::CoBindAck>(ack.body).results.push_back({0, 0, wire::ndr_syntax()});
  send(TransportKind::tcp, false, wire::encode(ack), 300us);
  wire::CoPdu request = co(PType::request, c.first_call_id + 1, c.order, kFirstFrag | kLastFrag);
  auto& r = std::get<wire::CoRequest>(request.body);
  r.context_id = c.context;
  r.opnum = 1;
  r.alloc_hint = 64;
  r.stub = Bytes(64, c.stub_byte);
  send(TransportKind::tcp, true, wire::encode(request), 100us);
  send(TransportKind::tcp, true,
       wire::encode(co(PType::co_cancel, c.first_call_id + 1, c.order, kLastFrag | kPendingCancel)),
       100ms);
  wire::CoPdu fault = co(PType::fault, c.first_call_id + 1, c.order, kFirstFrag | kLastFrag);
  std::get<wire::CoFault>(fault.body).context_id = c.context;
  std::get<wire::CoFault>(fault.body).cancel_count = c.cancel_count;
  std::get<wire::CoFault>(fault.body).status = 0x1C00000D;
  send(TransportKind::tcp, false, wire::encode(fault), 10ms);

  send(TransportKind::udp, true, wire::encode(cl(PType::request, c, 0)), 1ms);
  wire::ClPdu cancel = cl(PType::cl_cancel, c, c.boot);
  std::get<wire::ClCancel>(cancel.body).cancel_id = 1;
  send(TransportKind::udp, true, wire::encode(cancel), 100ms);
  wire::ClPdu response = cl(PType::response, c, c.boot);
  send(TransportKind::udp, false, wire::encode(response), 1ms);
  EXPECT_TRUE((*writer)->close().ok());
  return file;
}

std::vector<std::string> keys(const NormalizedCapture& n) {
  std::vector<std::string> out;
  for (const auto& p : n.pdus)
    out.push_back(p.key());
  return out;
}

NormalizedCapture normalized(const std::string& file, std::optional<Timestamp> origin = {}) {
  const CaptureContents contents = read_capture_file(file);
  EXPECT_FALSE(contents.error) << contents.error->to_string();
  return normalize(contents, NormalizeOptions{origin});
}

TEST(Normalize, TwoRunsOfOneExchangeAreTheSame) {
  TempDir dir;
  Choices other;
  other.client_port = 41234;
  other.server_port = 6000;
  other.first_call_id = 1;
  other.assoc_group = 0x99;
  other.context = 0;
  other.activity = *wire::Uuid::parse("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
  other.boot = 1700000555;
  other.first_seqnum = 0;
  other.start = std::chrono::seconds(1800000000);
  other.secondary_address = "61234";
  const auto a = normalized(exchange(dir, "a.pcap", Choices{}));
  const auto b = normalized(exchange(dir, "b.pcap", other));
  ASSERT_EQ(a.pdus.size(), 8u);
  EXPECT_EQ(keys(a), keys(b));
  EXPECT_EQ(a.digest(), b.digest());
  EXPECT_EQ(a.pdus[0].key(),
            "1 > bind call_id=1 flags=FIRST|LAST max_xmit=5840 max_recv=5840 assoc_group=0x0 "
            "contexts=1");
  EXPECT_NE(a.pdus[1].text.find("assoc_group=0x1 "), std::string::npos) << a.pdus[1].text;
  EXPECT_NE(a.pdus[1].text.find("sec_addr=\"135\""), std::string::npos) << a.pdus[1].text;
  auto ack = wire::decode_co(a.pdus[1].bytes);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->frag_length, a.pdus[1].bytes.size());
  EXPECT_EQ(a.pdus[1].key().substr(0, 4), "1 < ");
  EXPECT_NE(a.pdus[2].text.find("call_id=2 "), std::string::npos) << a.pdus[2].text;
  EXPECT_NE(a.pdus[2].text.find("ctx=0 "), std::string::npos) << a.pdus[2].text;
  // The datagram exchange is the second conversation; its identifiers are renumbered.
  EXPECT_EQ(a.pdus[5].conversation, 2u);
  EXPECT_EQ(a.pdus[5].transport, TransportKind::udp);
  auto request = wire::decode_cl(a.pdus[5].bytes);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->activity.to_string(), "00000001-0000-0000-0000-000000000000");
  EXPECT_EQ(request->server_boot, 0u) << "a boot time not yet known stays 0";
  EXPECT_EQ(request->seqnum, 0u);
  auto response = wire::decode_cl(a.pdus[7].bytes);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->server_boot, 1u);
  EXPECT_FALSE(a.pdus[7].to_server);
}

TEST(Normalize, ANamedSecondaryAddressBecomesEndpoint) {
  TempDir dir;
  Choices pipe;
  pipe.secondary_address = "\\pipe\\rpcfit-4886-3";
  Choices lrpc;
  lrpc.secondary_address = "rpcfit-4950-2";
  const auto a = normalized(exchange(dir, "a.pcap", pipe));
  const auto b = normalized(exchange(dir, "b.pcap", lrpc));
  EXPECT_EQ(a.pdus[1].key(), b.pdus[1].key());
  EXPECT_NE(a.pdus[1].text.find("sec_addr=\"endpoint\""), std::string::npos) << a.pdus[1].text;
  Choices none;
  none.secondary_address = "";
  const auto c = normalized(exchange(dir, "c.pcap", none));
  EXPECT_NE(c.pdus[1].text.find("sec_addr=\"\""), std::string::npos) << c.pdus[1].text;
}

// The default exchange and one with `other` choices, normalized.
std::pair<NormalizedCapture, NormalizedCapture> against_default(const Choices& other) {
  TempDir dir;
  return {normalized(exchange(dir, "a.pcap", Choices{})),
          normalized(exchange(dir, "b.pcap", other))};
}

TEST(Normalize, KeepsWhatTheBehaviourDecides) {
  Choices counted;
  counted.cancel_count = 2;
  const auto [a, b] = against_default(counted);
  EXPECT_NE(a.digest(), b.digest());
  EXPECT_NE(a.pdus[4].key(), b.pdus[4].key());
  EXPECT_EQ(a.pdus[3].key(), b.pdus[3].key());
}

// Stub bytes are compared, not only their lengths: a request with other bytes of the same length
// is another request.
TEST(Normalize, StubBytesAreComparedByTheirDigest) {
  Choices other;
  other.stub_byte = 0xac;
  const auto [a, b] = against_default(other);
  EXPECT_NE(a.pdus[2].text.find("stub=64 stub_digest=" + hex64(fnv1a64(Bytes(64, 0xab)))),
            std::string::npos)
      << a.pdus[2].text;
  EXPECT_NE(a.pdus[2].key(), b.pdus[2].key());
  EXPECT_NE(a.digest(), b.digest());
  EXPECT_EQ(a.pdus[3].key(), b.pdus[3].key());  // a co_cancel has no stub
}

TEST(Normalize, BothByteOrders) {
  TempDir dir;
  Choices big;
  big.order = ByteOrder::big;
  big.first_call_id = 0x01020304;
  const auto n = normalized(exchange(dir, "big.pcap", big));
  auto request = wire::decode_co(n.pdus[2].bytes);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->order(), ByteOrder::big);
  EXPECT_EQ(request->call_id, 2u);
  auto dg = wire::decode_cl(n.pdus[5].bytes);
  ASSERT_TRUE(dg);
  EXPECT_EQ(dg->activity.to_string(), "00000001-0000-0000-0000-000000000000");
  // The byte order is kept: it is the implementation's, and the text says so.
  const auto little = normalized(exchange(dir, "little.pcap", Choices{}));
  EXPECT_EQ(n.pdus[3].key(), little.pdus[3].key() + " big_endian");
}

TEST(Normalize, TimesCountFromTheOrigin) {
  TempDir dir;
  Choices c;
  const auto given = normalized(exchange(dir, "a.pcap", c), c.start - 1ms);
  EXPECT_EQ(given.pdus[0].at, 1100us);  // the bind went 100 us after the start
  EXPECT_EQ(given.pdus[3].at, 101500us);
  // Without one: the first frame (the synthesized SYN, at the bind's instant).
  const auto own = normalized(dir / "a.pcap");
  EXPECT_EQ(own.pdus[0].at, 0us);
  EXPECT_EQ(own.pdus[3].at, 100400us);
}

TEST(Normalize, ANormalizedCaptureWrittenAndReadIsItself) {
  TempDir dir;
  Choices c;
  const auto first = normalized(exchange(dir, "a.pcap", c), c.start);
  const std::string golden = dir / "golden.pcap";
  ASSERT_TRUE(write_normalized(golden, first).ok());
  const auto again = normalized(golden);  // relative times: the origin is 0
  EXPECT_EQ(keys(again), keys(first));
  ASSERT_EQ(again.pdus.size(), first.pdus.size());
  for (std::size_t i = 0; i < first.pdus.size(); ++i) {
    EXPECT_EQ(again.pdus[i].at, first.pdus[i].at) << i;
    EXPECT_EQ(again.pdus[i].bytes, first.pdus[i].bytes) << i;
  }
  EXPECT_EQ(again.digest(), first.digest());
}

TEST(Normalize, MalformedPdusAreKeptAndNamed) {
  TempDir dir;
  const std::string file = dir / "bad.pcap";
  auto writer = PcapWriter::open(file);
  ASSERT_TRUE(writer.ok());
  wire::CoPdu request = co(PType::request, 5, ByteOrder::little, 3);
  Bytes bytes = wire::encode(request);
  bytes.resize(20);  // shorter than a request's body
  bytes[8] = 20;     // frag_length says so too
  (*writer)->pdu(CapturedPdu{std::chrono::seconds(1767225600), TransportKind::tcp,
                             Endpoint{IpAddress::loopback_v4(), 1000},
                             Endpoint{IpAddress::loopback_v4(), 2000}, bytes});
  ASSERT_TRUE((*writer)->close().ok());
  const auto n = normalized(file);
  ASSERT_EQ(n.pdus.size(), 1u);
  EXPECT_EQ(n.pdus[0].text.rfind("malformed: ", 0), 0u) << n.pdus[0].text;
  EXPECT_EQ(n.pdus[0].bytes, bytes);
}

}  // namespace
}  // namespace rpcfit::captures
