// The UDP fault proxy: calls of rpcfit's own datagram runtime through it, and datagrams sent by
// hand (RawUdp) where the test needs to know exactly what was offered.
#include <gtest/gtest.h>

#include <set>

#include "drivers/fault/proxy/proxy_test_util.h"
#include "drivers/runtime/rpc.h"
#include "drivers/runtime/scripted_peer.h"
#include "drivers/runtime/test_interface.h"
#include "harness/wire/pdu.h"

namespace rpcfit::fault {
namespace {

using rpc::testing::RawUdp;
using testing::faults;
using testing::Proxied;

constexpr auto kUdp = transport::Protseq::ncadg_ip_udp;
constexpr int kWaitMs = 20'000;

TEST(UdpProxy, WithoutFaultsCallsPassIntact) {
  Proxied p(kUdp, {});
  ASSERT_NE(p.binding, nullptr);
  const Bytes input{1, 2, 3, 4, 5};
  EXPECT_EQ(p.call(rpc::test_op::kEcho, input), input);
  EXPECT_EQ(p.call(rpc::test_op::kEcho, Bytes(3000, 0x5a)), Bytes(3000, 0x5a));
  EXPECT_EQ(p.proxy->describe_counters(), "none");
  EXPECT_EQ(p.proxy->conversations(), 1u);
  EXPECT_GE(p.proxy_capture.count("request"), 2u);
  EXPECT_TRUE(testing::wait_teed(p.proxy_capture, "response", p.pair.capture.count("response")));
}

TEST(UdpProxy, ALostFirstRequestIsRecoveredByRetransmission) {
  Proxied p(kUdp, faults({"drop,pdu=request,nth=1,dir=c2s"}));
  ASSERT_NE(p.binding, nullptr);
  const Bytes input{9, 8, 7};
  EXPECT_EQ(p.call(rpc::test_op::kEcho, input), input);
  EXPECT_EQ(p.proxy->injected(FaultKind::drop), 1u);
  EXPECT_GE(p.pair.capture.count_sent("request"), 2u);
}

TEST(UdpProxy, RefusesStreamFaults) {
  for (const char* text : {"reset,pdu=request", "slice,segment=4"}) {
    ProxyOptions options;
    options.listen = Endpoint{IpAddress::loopback_v4(), 0};
    options.upstream = Endpoint{IpAddress::loopback_v4(), 135};
    options.transport = ProxyTransport::udp;
    options.faults = faults({text});
    auto proxy = Proxy::start(options);
    ASSERT_FALSE(proxy.ok()) << text;
    EXPECT_NE(proxy.error().find("does not apply to a UDP proxy"), std::string::npos)
        << proxy.error();
  }
}

// A datagram with a CL request header (rpc_vers 4, ptype 0) carrying `index` after the header.
Bytes cl_request(std::uint8_t index) {
  Bytes d(wire::kClHeaderSize + 1, 0);
  d[0] = 4;
  d[1] = 0;
  d[4] = 0x10;  // drep: little-endian
  d[wire::kClHeaderSize] = index;
  return d;
}
// Not DCE/RPC: passes untouched, and marks the end of a batch.
const Bytes kSentinel{0xee, 0xee};

// Sends `count` requests and the sentinel from one client through a proxy with `specs` and
// `seed`; the indexes the upstream received, in order, and the proxy's counters.
struct Batch {
  std::vector<int> received;
  std::string counters;
};
Batch through(const std::vector<FaultSpec>& specs, std::uint64_t seed, int count) {
  Batch out;
  RawUdp upstream;
  ProxyOptions options;
  options.listen = Endpoint{IpAddress::loopback_v4(), 0};
  options.upstream = Endpoint{IpAddress::loopback_v4(), upstream.port()};
  options.transport = ProxyTransport::udp;
  options.faults = specs;
  options.seed = seed;
  auto proxy = Proxy::start(options);
  EXPECT_TRUE(proxy.ok()) << (proxy.ok() ? "" : proxy.error());
  if (!proxy) return out;
  RawUdp client;
  client.send_to_port((*proxy)->listening().port);
  for (int i = 0; i < count; ++i)
    client.send(cl_request(static_cast<std::uint8_t>(i)));
  client.send(kSentinel);
  for (;;) {
    auto d = upstream.receive(kWaitMs);
    if (!d) {
      ADD_FAILURE() << "the sentinel did not arrive";
      break;
    }
    if (*d == kSentinel) break;
    if (d->size() == wire::kClHeaderSize + 1) out.received.push_back((*d)[wire::kClHeaderSize]);
  }
  (*proxy)->stop();
  out.counters = (*proxy)->describe_counters();
  return out;
}

TEST(UdpProxy, TheSameSeedGivesTheSameDecisions) {
  const auto specs = faults({"drop,p=0.5,dir=c2s"});
  const Batch first = through(specs, 42, 40);
  const Batch again = through(specs, 42, 40);
  const Batch other = through(specs, 43, 40);
  EXPECT_EQ(first.received, again.received);
  EXPECT_EQ(first.counters, again.counters);
  EXPECT_NE(first.counters, "none");
  EXPECT_LT(first.received.size(), 40u);
  EXPECT_NE(first.received, other.received) << "another seed, other decisions";
}

TEST(UdpProxy, ReorderSendsTheHeldDatagramAfterTheNextOne) {
  const Batch b = through(faults({"reorder,nth=1,dir=c2s"}), 1, 3);
  EXPECT_EQ(b.received, (std::vector<int>{1, 0, 2}));
  EXPECT_EQ(b.counters, "reorder=1");
}

TEST(UdpProxy, DuplicateSendsTwice) {
  const Batch b = through(faults({"duplicate,nth=2"}), 1, 3);
  EXPECT_EQ(b.received, (std::vector<int>{0, 1, 1, 2}));
  EXPECT_EQ(b.counters, "duplicate=1");
}

}  // namespace
}  // namespace rpcfit::fault
