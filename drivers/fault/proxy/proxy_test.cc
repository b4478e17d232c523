// The TCP fault proxy between rpcfit's own runtime (client) and server: each fault's effect on a
// real call. Scenario time runs at scale 0.1 (the Pair's clock, shared by the proxy).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "drivers/fault/proxy/proxy_test_util.h"
#include "drivers/runtime/rpc.h"
#include "drivers/runtime/scripted_peer.h"
#include "drivers/runtime/test_interface.h"

namespace rpcfit::fault {
namespace {

using rpc::testing::CallThread;
using rpc::testing::kLate;
using rpc::testing::Outcome;
using testing::faults;
using testing::Proxied;
using namespace std::chrono_literals;

constexpr auto kTcp = transport::Protseq::ncacn_ip_tcp;

Bytes pattern(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i)
    b[i] = static_cast<std::uint8_t>(i * 7 + 3);
  return b;
}

TEST(TcpProxy, WithoutFaultsCallsPassIntactAndTheCaptureShowsAPlainConversation) {
  Proxied p(kTcp, {});
  ASSERT_NE(p.binding, nullptr);
  for (std::size_t size : {0u, 100u, 12000u}) {  // 12000: several fragments each way
    EXPECT_EQ(p.call(rpc::test_op::kEcho, pattern(size)), pattern(size)) << size;
  }
  EXPECT_EQ(p.proxy->describe_counters(), "none");
  EXPECT_EQ(p.proxy->conversations(), 1u);
  // The proxy tees a PDU just after writing it, so the client may have it first.
  const std::size_t responses = p.pair.capture.count("response");
  EXPECT_TRUE(testing::wait_teed(p.proxy_capture, "response", responses));
  const auto seen = p.proxy_capture.sequence();
  ASSERT_GE(seen.size(), 4u);
  EXPECT_EQ(seen[0], "out bind");
  EXPECT_EQ(seen[1], "in bind_ack");
  EXPECT_EQ(seen[2], "out request");
  EXPECT_EQ(p.proxy_capture.opened(), 1);
  // The capture's endpoints are the client's and the server's, as if no proxy were there.
  EXPECT_EQ(p.proxy_capture.count("request"), p.pair.capture.count("request"));
}

TEST(TcpProxy, LatencyServerToClientDelaysTheCall) {
  Proxied p(kTcp, faults({"latency,delay=500ms,dir=s2c"}));
  ASSERT_NE(p.binding, nullptr);
  const Duration start = p.pair.clock.now();
  EXPECT_EQ(p.call(rpc::test_op::kEcho, pattern(10)), pattern(10));
  // The bind_ack and the response each wait 500 ms.
  EXPECT_GE(p.pair.clock.now() - start, 1000ms);
  EXPECT_EQ(p.proxy->injected(FaultKind::latency), 2u);
  EXPECT_EQ(p.proxy->describe_counters(), "latency=2");
}

TEST(TcpProxy, ResetAtTheRequestFailsTheCallPromptly) {
  Proxied p(kTcp, faults({"reset,pdu=request"}));
  ASSERT_NE(p.binding, nullptr);
  const Duration start = p.pair.clock.now();
  EXPECT_NE(p.raised_by_call(rpc::test_op::kEcho, pattern(10)), status::kOk);
  EXPECT_LE(p.pair.clock.now() - start, kLate);
  EXPECT_GE(p.proxy->injected(FaultKind::reset), 1u);
  EXPECT_EQ(p.pair.events.count(rpc::ServerEventKind::call_started), 0);
}

TEST(TcpProxy, ResetAtTheCancelEndsTheCallPromptly) {
  Proxied p(kTcp, faults({"reset,pdu=co_cancel"}));
  ASSERT_NE(p.binding, nullptr);
  CallThread call(*p.pair.client, p.binding, rpc::test_op::kCancellable,
                  rpc::milliseconds_input(600'000));
  ASSERT_TRUE(p.pair.capture.wait_sent("request"));
  const Duration cancelled_at = p.pair.clock.now();
  EXPECT_EQ(p.pair.cancel(call.thread_id(), 5), status::kOk);
  const Outcome outcome = call.finish();
  EXPECT_FALSE(outcome.returned);
  EXPECT_TRUE(outcome.raised == status::kCallCancelled || outcome.raised == status::kCallFailed ||
              outcome.raised == status::kCallFailedDne || outcome.raised == status::kCommFailure)
      << rpc::status_text(outcome.raised);
  EXPECT_LE(outcome.ended - cancelled_at, 5s + kLate);
  EXPECT_EQ(p.proxy->injected(FaultKind::reset), 1u);
}

TEST(TcpProxy, BlackholedResponsesEndInTheCancelAtItsTimeout) {
  Proxied p(kTcp, faults({"blackhole,dir=s2c,pdu=response"}));
  ASSERT_NE(p.binding, nullptr);
  CallThread call(*p.pair.client, p.binding, rpc::test_op::kEcho, pattern(10));
  ASSERT_TRUE(p.pair.capture.wait_sent("request"));
  const Duration cancelled_at = p.pair.clock.now();
  EXPECT_EQ(p.pair.cancel(call.thread_id(), 2), status::kOk);
  const Outcome outcome = call.finish();
  EXPECT_EQ(outcome.raised, status::kCallCancelled) << rpc::status_text(outcome.raised);
  EXPECT_GE(outcome.ended - cancelled_at, 2s);
  EXPECT_LE(outcome.ended - cancelled_at, 2s + kLate);
  EXPECT_EQ(p.pair.capture.count("response"), 0u);
  EXPECT_GE(p.proxy->injected(FaultKind::blackhole), 1u);
}

TEST(TcpProxy, SlicedPdusPassIntact) {
  Proxied p(kTcp, faults({"slice,segment=4"}));
  ASSERT_NE(p.binding, nullptr);
  EXPECT_EQ(p.call(rpc::test_op::kEcho, pattern(301)), pattern(301));
  // bind, bind_ack, request, response at least.
  EXPECT_GE(p.proxy->injected(FaultKind::slice), 4u);
  EXPECT_TRUE(testing::wait_teed(p.proxy_capture, "response", 1)) << "teed whole, not per segment";
  EXPECT_EQ(p.proxy_capture.count("?"), 0u);
}

TEST(TcpProxy, CorruptFragLengthTowardsTheClientFailsTheCall) {
  rpc::BindingOptions options;
  options.setup_timeout = 5s;
  Proxied p(kTcp, faults({"corrupt,field=frag_length,value=7,dir=s2c"}), 1, options);
  ASSERT_NE(p.binding, nullptr);
  EXPECT_NE(p.raised_by_call(rpc::test_op::kEcho, pattern(10)), status::kOk);
  EXPECT_GE(p.proxy->injected(FaultKind::corrupt), 1u);
}

TEST(TcpProxy, AnUnreachableUpstreamFailsThatConnectionOnly) {
  // A port nobody listens on: bound, then closed.
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t n = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
  ::close(s);
  std::vector<std::string> lines;
  std::mutex mu;
  ProxyOptions options;
  options.listen = Endpoint{IpAddress::loopback_v4(), 0};
  options.upstream = Endpoint{IpAddress::loopback_v4(), ntohs(a.sin_port)};
  options.log = [&](const std::string& line) {
    std::lock_guard lock(mu);
    lines.push_back(line);
  };
  auto proxy = Proxy::start(options);
  ASSERT_TRUE(proxy.ok()) << proxy.error();
  rpc::testing::Pair pair(kTcp);
  rpc::BindingOptions binding_options;
  binding_options.setup_timeout = 5s;
  auto binding = rpc::Binding::from_string(
      *pair.client, "ncacn_ip_tcp:127.0.0.1[" + std::to_string((*proxy)->listening().port) + "]",
      binding_options);
  ASSERT_TRUE(binding.ok());
  EXPECT_NE(
      rpc::testing::raised_by([&] { (*binding)->call(rpc::test_interface_id(), 0, Bytes{1}); }),
      status::kOk);
  (*proxy)->stop();
  EXPECT_GE((*proxy)->upstream_failures(), 1u);
  std::lock_guard lock(mu);
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines[0].find("unreachable"), std::string::npos) << lines[0];
}

// Exactly n bytes from a RawSocket's descriptor (it has a 20 s receive timeout); fewer on error.
Bytes read_n(int fd, std::size_t n) {
  Bytes out(n);
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::recv(fd, out.data() + got, n - got, 0);
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  out.resize(got);
  return out;
}

TEST(TcpProxy, BytesThatDoNotFrameAsPdusPassRawAndUnchanged) {
  const std::string text = "hello, raw bytes";  // 'h' is no rpc_vers
  const Bytes hello(text.begin(), text.end());
  rpc::testing::ScriptedServer upstream([&](rpc::testing::RawSocket& s, int) {
    s.write(read_n(s.fd(), hello.size()));  // echo
  });
  std::vector<std::string> lines;
  std::mutex mu;
  ProxyOptions options;
  options.listen = Endpoint{IpAddress::loopback_v4(), 0};
  options.upstream = Endpoint{IpAddress::loopback_v4(), upstream.port()};
  options.faults = faults({"drop"});  // every PDU: raw bytes are no PDUs
  options.log = [&](const std::string& line) {
    std::lock_guard lock(mu);
    lines.push_back(line);
  };
  auto proxy = Proxy::start(options);
  ASSERT_TRUE(proxy.ok()) << proxy.error();
  auto client = rpc::testing::RawSocket::connect_tcp((*proxy)->listening().port);
  ASSERT_TRUE(client.write(hello));
  EXPECT_EQ(read_n(client.fd(), hello.size()), hello);
  client.close();
  (*proxy)->stop();
  EXPECT_EQ((*proxy)->describe_counters(), "none");
  std::lock_guard lock(mu);
  ASSERT_EQ(lines.size(), 2u);
  for (const auto& line : lines)
    EXPECT_NE(line.find("do not frame as DCE/RPC PDUs"), std::string::npos) << line;
}

TEST(TcpProxy, RefusesReorder) {
  ProxyOptions options;
  options.listen = Endpoint{IpAddress::loopback_v4(), 0};
  options.upstream = Endpoint{IpAddress::loopback_v4(), 135};
  options.faults = faults({"reorder,dir=c2s"});
  auto proxy = Proxy::start(options);
  ASSERT_FALSE(proxy.ok());
  EXPECT_NE(proxy.error().find("reorder does not apply to a TCP proxy"), std::string::npos)
      << proxy.error();
}

}  // namespace
}  // namespace rpcfit::fault
