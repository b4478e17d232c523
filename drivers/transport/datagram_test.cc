// Datagram sockets: ncadg_ip_udp, and ncadg_mq on each backend and across backends.
#include "drivers/transport/datagram.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <mqueue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "drivers/transport/test_support.h"

namespace rpcfit::transport {
namespace {

using std::chrono::milliseconds;
using test_support::RawSocket;
using test_support::Recorder;
using test_support::TempDir;

// Queue names are global to the machine, so each test's are unique to this process and test.
std::string unique_name() {
  static std::atomic<int> counter{0};
  return "dgtest-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

std::string posix_queue(const std::string& name) {
  return "/rpcfit-" + std::to_string(::geteuid()) + "-" + name;
}

// 0 when the POSIX queue exists, else the errno of opening it.
int probe_queue(const std::string& queue) {
  const mqd_t q = ::mq_open(queue.c_str(), O_WRONLY | O_NONBLOCK);
  if (q == static_cast<mqd_t>(-1)) return errno;
  ::mq_close(q);
  return 0;
}

Bytes pattern(std::size_t n, std::uint8_t seed) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<std::uint8_t>(i * 31 + seed);
  return out;
}

sockaddr_un unix_sockaddr(const std::filesystem::path& path) {
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  const std::string text = path.string();
  EXPECT_LT(text.size(), sizeof un.sun_path);
  std::memcpy(un.sun_path, text.c_str(), std::min(text.size() + 1, sizeof un.sun_path));
  return un;
}

class DatagramTestBase : public ::testing::Test {
 protected:
  DatagramTestBase() {
    context_.base.clock = &clock_;
    context_.base.capture = &recorder_;
    context_.base.run_dir = dir_.path() / "run";
  }

  Deadline in(milliseconds d) const { return clock_.now() + d; }
  Deadline soon() const { return in(milliseconds(5'000)); }

  DatagramContext with(MqBackend backend) const {
    DatagramContext c = context_;
    c.mq_backend = backend;
    return c;
  }

  std::unique_ptr<DatagramSocket> bind_ok(Protseq protseq, const std::string& endpoint,
                                          const DatagramContext& context) {
    auto s = bind_datagram(protseq, "", endpoint, context);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error());
    return s.ok() ? std::move(s.value()) : nullptr;
  }

  DatagramClient open_ok(Protseq protseq, const std::string& endpoint,
                         const DatagramContext& context) {
    auto c = open_datagram(protseq, "", endpoint, context);
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error());
    return c.ok() ? std::move(c.value()) : DatagramClient{};
  }

  TempDir dir_;
  RealClock clock_;
  Recorder recorder_;
  DatagramContext context_;
};

struct Pairing {
  const char* name;
  Protseq protseq;
  MqBackend server;
  MqBackend client;
};

void PrintTo(const Pairing& p, std::ostream* os) {
  *os << p.name;
}

class DatagramExchangeTest : public DatagramTestBase,
                             public ::testing::WithParamInterface<Pairing> {
 protected:
  void SetUp() override {
    const Pairing& p = GetParam();
    const std::string name = p.protseq == Protseq::ncadg_mq ? unique_name() : "";
    server_ = bind_ok(p.protseq, name, with(p.server));
    ASSERT_NE(server_, nullptr);
    client_ = open_ok(p.protseq, server_->endpoint(), with(p.client));
    ASSERT_NE(client_.socket, nullptr);
  }

  std::unique_ptr<DatagramSocket> server_;
  DatagramClient client_;
};

TEST_P(DatagramExchangeTest, ClientAndServerExchangeDatagramsTeedAsUdp) {
  const Bytes request = pattern(100, 1);
  const Bytes reply = pattern(60, 2);
  ASSERT_EQ(client_.socket->send_to(request, client_.server).status, IoStatus::ok);

  Bytes got;
  DatagramPeer from;
  IoResult r = server_->receive_from(got, from, soon(), nullptr);
  ASSERT_EQ(r.status, IoStatus::ok) << r.detail;
  EXPECT_EQ(got, request);
  EXPECT_EQ(from.endpoint, client_.socket->local_endpoint());

  ASSERT_EQ(server_->send_to(reply, from).status, IoStatus::ok);
  DatagramPeer back;
  r = client_.socket->receive_from(got, back, soon(), nullptr);
  ASSERT_EQ(r.status, IoStatus::ok) << r.detail;
  EXPECT_EQ(got, reply);
  EXPECT_EQ(back.endpoint, server_->local_endpoint());
  EXPECT_EQ(back.endpoint, client_.server.endpoint);

  const Endpoint client = client_.socket->local_endpoint();
  const Endpoint server = server_->local_endpoint();
  const auto pdus = recorder_.of(Recorder::Kind::pdu);
  ASSERT_EQ(pdus.size(), 4u);
  for (const auto& e : pdus)
    EXPECT_EQ(e.transport, TransportKind::udp);
  // Sent, received, reply sent, reply received.
  EXPECT_EQ(pdus[0].a, client);
  EXPECT_EQ(pdus[0].b, server);
  EXPECT_EQ(pdus[0].bytes, request);
  EXPECT_EQ(pdus[1].a, client);
  EXPECT_EQ(pdus[1].b, server);
  EXPECT_EQ(pdus[1].bytes, request);
  EXPECT_EQ(pdus[2].a, server);
  EXPECT_EQ(pdus[2].b, client);
  EXPECT_EQ(pdus[2].bytes, reply);
  EXPECT_EQ(pdus[3].a, server);
  EXPECT_EQ(pdus[3].b, client);
  EXPECT_EQ(pdus[3].bytes, reply);
  EXPECT_TRUE(recorder_.of(Recorder::Kind::opened).empty());
  EXPECT_TRUE(recorder_.of(Recorder::Kind::closed).empty());
}

TEST_P(DatagramExchangeTest, LargestDatagramAndABurstArriveWholeAndInOrder) {
  const Bytes largest = pattern(server_->max_datagram(), 3);
  EXPECT_EQ(client_.socket->max_datagram(), server_->max_datagram());
  ASSERT_EQ(client_.socket->send_to(largest, client_.server).status, IoStatus::ok);
  // Within the smallest queue (ten messages) so that nothing is lost.
  for (std::uint8_t i = 0; i < 8; ++i) {
    ASSERT_EQ(client_.socket->send_to(pattern(10 + i, i), client_.server).status, IoStatus::ok);
  }
  Bytes got;
  DatagramPeer from;
  ASSERT_EQ(server_->receive_from(got, from, soon(), nullptr).status, IoStatus::ok);
  EXPECT_EQ(got, largest);
  for (std::uint8_t i = 0; i < 8; ++i) {
    ASSERT_EQ(server_->receive_from(got, from, soon(), nullptr).status, IoStatus::ok);
    EXPECT_EQ(got, pattern(10 + i, i));
  }
}

TEST_P(DatagramExchangeTest, ReceiveTimesOutWhenNothingComes) {
  Bytes got;
  DatagramPeer from;
  EXPECT_EQ(server_->receive_from(got, from, in(milliseconds(30)), nullptr).status,
            IoStatus::timed_out);
  EXPECT_EQ(client_.socket->receive_from(got, from, in(milliseconds(30)), nullptr).status,
            IoStatus::timed_out);
}

TEST_P(DatagramExchangeTest, WakerWakesABlockedReceive) {
  Waker waker;
  IoResult r;
  std::thread receiver([&] {
    Bytes got;
    DatagramPeer from;
    r = server_->receive_from(got, from, soon(), &waker);
  });
  waker.wake();
  receiver.join();
  EXPECT_EQ(r.status, IoStatus::woken);
}

TEST_P(DatagramExchangeTest, CapturesStopAfterDetach) {
  server_->detach_capture();
  client_.socket->detach_capture();
  ASSERT_EQ(client_.socket->send_to(pattern(5, 0), client_.server).status, IoStatus::ok);
  Bytes got;
  DatagramPeer from;
  ASSERT_EQ(server_->receive_from(got, from, soon(), nullptr).status, IoStatus::ok);
  EXPECT_TRUE(recorder_.of(Recorder::Kind::pdu).empty());
}

// The same exchanges, over message queues only (UDP's counterpart is in UdpTest).
class MqExchangeTest : public DatagramExchangeTest {};

TEST_P(MqExchangeTest, SendToAClosedQueueIsClosedEvenAfterTraffic) {
  const Bytes ping = pattern(5, 0);
  ASSERT_EQ(client_.socket->send_to(ping, client_.server).status, IoStatus::ok);
  Bytes got;
  DatagramPeer from;
  ASSERT_EQ(server_->receive_from(got, from, soon(), nullptr).status, IoStatus::ok);
  ASSERT_EQ(server_->send_to(ping, from).status, IoStatus::ok);
  client_.socket->close();
  EXPECT_EQ(server_->send_to(ping, from).status, IoStatus::closed);

  DatagramClient other = open_ok(GetParam().protseq, server_->endpoint(), with(GetParam().client));
  ASSERT_NE(other.socket, nullptr);
  ASSERT_EQ(other.socket->send_to(ping, other.server).status, IoStatus::ok);
  server_->close();
  const IoResult r = other.socket->send_to(ping, other.server);
  EXPECT_EQ(r.status, IoStatus::closed) << r.detail;
}

const Pairing kUdp{"udp", Protseq::ncadg_ip_udp, MqBackend::automatic, MqBackend::automatic};
const Pairing kMqPairings[] = {
    {"mq_posix", Protseq::ncadg_mq, MqBackend::posix, MqBackend::posix},
    {"mq_socket", Protseq::ncadg_mq, MqBackend::socket, MqBackend::socket},
    {"mq_socket_to_posix", Protseq::ncadg_mq, MqBackend::posix, MqBackend::socket},
    {"mq_posix_to_socket", Protseq::ncadg_mq, MqBackend::socket, MqBackend::posix},
};
std::string pairing_name(const ::testing::TestParamInfo<Pairing>& param) {
  return std::string(param.param.name);
}

INSTANTIATE_TEST_SUITE_P(All, DatagramExchangeTest,
                         ::testing::Values(kUdp, kMqPairings[0], kMqPairings[1], kMqPairings[2],
                                           kMqPairings[3]),
                         pairing_name);
INSTANTIATE_TEST_SUITE_P(Mq, MqExchangeTest, ::testing::ValuesIn(kMqPairings), pairing_name);

using UdpTest = DatagramTestBase;

TEST_F(UdpTest, PortWithNoServerIsClosedOnReceive) {
  auto server = bind_ok(Protseq::ncadg_ip_udp, "", context_);
  ASSERT_NE(server, nullptr);
  const std::string port = server->endpoint();
  server->close();
  DatagramClient client = open_ok(Protseq::ncadg_ip_udp, port, context_);
  ASSERT_NE(client.socket, nullptr);
  ASSERT_EQ(client.socket->send_to(pattern(5, 0), client.server).status, IoStatus::ok);
  Bytes got;
  DatagramPeer from;
  const IoResult r = client.socket->receive_from(got, from, soon(), nullptr);
  EXPECT_EQ(r.status, IoStatus::closed);
  EXPECT_EQ(r.detail, "port unreachable");
}

TEST_F(UdpTest, EndpointsAreLoopbackAndTheBoundPort) {
  auto server = bind_ok(Protseq::ncadg_ip_udp, "0", context_);
  ASSERT_NE(server, nullptr);
  const Endpoint local = server->local_endpoint();
  EXPECT_EQ(local.address, IpAddress::loopback_v4());
  EXPECT_EQ(server->endpoint(), std::to_string(local.port));
  EXPECT_EQ(server->max_datagram(), 65507u);
  DatagramClient client = open_ok(Protseq::ncadg_ip_udp, server->endpoint(), context_);
  ASSERT_NE(client.socket, nullptr);
  EXPECT_EQ(client.server.endpoint, local);
  EXPECT_EQ(client.socket->local_endpoint().address, IpAddress::loopback_v4());
  EXPECT_NE(client.socket->local_endpoint().port, 0);
}

TEST_F(UdpTest, BadPortsAndPeersAreErrors) {
  auto bad = open_datagram(Protseq::ncadg_ip_udp, "", "http", context_);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("bad port"), std::string::npos) << bad.error();
  auto server = bind_ok(Protseq::ncadg_ip_udp, "", context_);
  ASSERT_NE(server, nullptr);
  const IoResult r = server->send_to(pattern(5, 0), DatagramPeer{{}, "junk"});
  EXPECT_EQ(r.status, IoStatus::failed);
  EXPECT_NE(r.detail.find("not a UDP peer address"), std::string::npos) << r.detail;
}

TEST_F(UdpTest, NotADatagramProtocolSequence) {
  auto s = bind_datagram(Protseq::ncacn_ip_tcp, "", "", context_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), "ncacn_ip_tcp is not a datagram protocol sequence");
}

using MqTest = DatagramTestBase;

TEST_F(MqTest, UnknownQueueIsAnError) {
  const std::string name = unique_name();
  auto c = open_datagram(Protseq::ncadg_mq, "", name, context_);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().find("no ncadg_mq queue " + name), std::string::npos) << c.error();
}

TEST_F(MqTest, MalformedEnvelopesAreDropped) {
  const std::string name = unique_name();
  auto server = bind_ok(Protseq::ncadg_mq, name, with(MqBackend::socket));
  ASSERT_NE(server, nullptr);
  const auto path = context_.base.run_dir / ("mq-" + name);
  const sockaddr_un address = unix_sockaddr(path);
  RawSocket raw(::socket(AF_UNIX, SOCK_DGRAM, 0));
  ASSERT_EQ(::connect(raw.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address), 0)
      << std::strerror(errno);
  const std::vector<Bytes> malformed = {
      Bytes{},                                 // empty
      Bytes{'M', 1, 0},                        // shorter than the fixed part
      Bytes{'X', 1, 0, 2, '/', 'a', 9},        // unknown kind
      Bytes{'U', 1, 0, 9, '/', 'a', 9},        // reply address past the end
      Bytes{'U', 1, 0, 0, 9},                  // no reply address
      Bytes{'U', 1, 0, 2, 'a', 'b', 9},        // not a path
      Bytes{'M', 1, 0, 3, '/', '\0', 'b', 9},  // NUL inside the name
      Bytes(5000, 'U'),                        // longer than any message
  };
  for (const Bytes& m : malformed) {
    ASSERT_EQ(::send(raw.fd(), m.data(), m.size(), 0), static_cast<ssize_t>(m.size()))
        << std::strerror(errno);
  }

  DatagramClient client = open_ok(Protseq::ncadg_mq, name, with(MqBackend::socket));
  ASSERT_NE(client.socket, nullptr);
  ASSERT_EQ(client.socket->send_to(pattern(7, 7), client.server).status, IoStatus::ok);
  Bytes got;
  DatagramPeer from;
  ASSERT_EQ(server->receive_from(got, from, soon(), nullptr).status, IoStatus::ok);
  EXPECT_EQ(got, pattern(7, 7));
  EXPECT_EQ(from.endpoint, client.socket->local_endpoint());
  EXPECT_EQ(server->receive_from(got, from, in(milliseconds(20)), nullptr).status,
            IoStatus::timed_out);
}

TEST_F(MqTest, OversizeDatagramIsRefused) {
  auto server = bind_ok(Protseq::ncadg_mq, "", with(MqBackend::posix));
  ASSERT_NE(server, nullptr);
  DatagramClient client = open_ok(Protseq::ncadg_mq, server->endpoint(), context_);
  ASSERT_NE(client.socket, nullptr);
  // A 4096-byte message less the envelope for the longest (255-byte) reply address.
  EXPECT_EQ(server->max_datagram(), 4096u - 4u - 255u);
  const IoResult r =
      client.socket->send_to(pattern(client.socket->max_datagram() + 1, 0), client.server);
  EXPECT_EQ(r.status, IoStatus::failed);
  EXPECT_NE(r.detail.find("exceeds the ncadg_mq maximum"), std::string::npos) << r.detail;
  EXPECT_TRUE(recorder_.of(Recorder::Kind::pdu).empty());
}

TEST_F(MqTest, CloseRemovesQueuesAndSocketFiles) {
  const std::string posix_name = unique_name();
  const std::string socket_name = unique_name();
  auto posix = bind_ok(Protseq::ncadg_mq, posix_name, with(MqBackend::posix));
  auto socket = bind_ok(Protseq::ncadg_mq, socket_name, with(MqBackend::socket));
  ASSERT_NE(posix, nullptr);
  ASSERT_NE(socket, nullptr);
  DatagramClient posix_client = open_ok(Protseq::ncadg_mq, socket_name, with(MqBackend::posix));
  DatagramClient socket_client = open_ok(Protseq::ncadg_mq, posix_name, with(MqBackend::socket));
  ASSERT_NE(posix_client.socket, nullptr);
  ASSERT_NE(socket_client.socket, nullptr);
  EXPECT_EQ(posix->endpoint(), posix_name);
  EXPECT_EQ(socket->endpoint(), socket_name);

  const auto& run_dir = context_.base.run_dir;
  const std::string server_queue = posix_queue(posix_name);
  const auto server_path = run_dir / ("mq-" + socket_name);
  // A client's endpoint() is its own queue's name, "c<pid>-<n>".
  const std::string client_queue = posix_queue(posix_client.socket->endpoint());
  const auto client_path = run_dir / ("mqc-" + socket_client.socket->endpoint().substr(1));
  EXPECT_EQ(probe_queue(server_queue), 0);
  EXPECT_EQ(probe_queue(client_queue), 0);
  EXPECT_TRUE(std::filesystem::exists(server_path));
  EXPECT_TRUE(std::filesystem::exists(client_path));

  posix->close();
  socket->close();
  posix_client.socket->close();
  socket_client.socket.reset();  // the destructor closes
  EXPECT_EQ(probe_queue(server_queue), ENOENT);
  EXPECT_EQ(probe_queue(client_queue), ENOENT);
  EXPECT_FALSE(std::filesystem::exists(server_path));
  EXPECT_FALSE(std::filesystem::exists(client_path));
  posix->close();  // twice is harmless
  Bytes got;
  DatagramPeer from;
  EXPECT_EQ(posix->receive_from(got, from, soon(), nullptr).status, IoStatus::failed);
}

TEST_F(MqTest, RunDirIsPrivateAndPosixQueueIsOwnerOnly) {
  const std::string name = unique_name();
  auto socket = bind_ok(Protseq::ncadg_mq, "", with(MqBackend::socket));
  auto posix = bind_ok(Protseq::ncadg_mq, name, with(MqBackend::posix));
  ASSERT_NE(socket, nullptr);
  ASSERT_NE(posix, nullptr);
  struct stat st {};
  ASSERT_EQ(::stat(context_.base.run_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  const mqd_t q = ::mq_open(posix_queue(name).c_str(), O_WRONLY | O_NONBLOCK);
  ASSERT_NE(q, static_cast<mqd_t>(-1)) << std::strerror(errno);
  ASSERT_EQ(::fstat(q, &st), 0);  // on Linux a mqd_t is a descriptor
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ::mq_close(q);
}

TEST_F(MqTest, EmptyEndpointGeneratesUniqueNames) {
  auto a = bind_ok(Protseq::ncadg_mq, "", context_);
  auto b = bind_ok(Protseq::ncadg_mq, "0", context_);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_FALSE(a->endpoint().empty());
  EXPECT_NE(a->endpoint(), b->endpoint());
  EXPECT_NE(a->local_endpoint(), b->local_endpoint());
  EXPECT_EQ(a->local_endpoint().address, IpAddress::v4(127, 0, 4, 2));
  DatagramClient client = open_ok(Protseq::ncadg_mq, b->endpoint(), context_);
  ASSERT_NE(client.socket, nullptr);
  EXPECT_EQ(client.server.endpoint, b->local_endpoint());
  EXPECT_EQ(client.socket->local_endpoint().address, IpAddress::v4(127, 0, 4, 1));
}

TEST_F(MqTest, SecondServerOnANameFails) {
  struct Case {
    MqBackend first;
    MqBackend second;
    const char* error;
  };
  for (const Case& c : {Case{MqBackend::posix, MqBackend::posix, "queue already exists"},
                        Case{MqBackend::socket, MqBackend::socket, "endpoint in use"},
                        Case{MqBackend::posix, MqBackend::socket, "queue already exists"},
                        Case{MqBackend::socket, MqBackend::posix, "endpoint in use"}}) {
    const std::string name = unique_name();
    auto first = bind_ok(Protseq::ncadg_mq, name, with(c.first));
    ASSERT_NE(first, nullptr);
    auto second = bind_datagram(Protseq::ncadg_mq, "", name, with(c.second));
    ASSERT_FALSE(second.ok());
    EXPECT_NE(second.error().find(c.error), std::string::npos) << second.error();
    // Once the first is gone the name is free again.
    first->close();
    EXPECT_NE(bind_ok(Protseq::ncadg_mq, name, with(c.second)), nullptr);
  }
}

TEST_F(MqTest, StaleSocketFileIsReplacedButALiveSocketIsNot) {
  const std::string name = unique_name();
  ASSERT_EQ(::mkdir(context_.base.run_dir.c_str(), 0700), 0);
  const auto path = context_.base.run_dir / ("mq-" + name);
  const sockaddr_un address = unix_sockaddr(path);
  {
    RawSocket other(::socket(AF_UNIX, SOCK_DGRAM, 0));
    ASSERT_EQ(::bind(other.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    auto live = bind_datagram(Protseq::ncadg_mq, "", name, with(MqBackend::socket));
    ASSERT_FALSE(live.ok());
    EXPECT_NE(live.error().find("endpoint in use"), std::string::npos) << live.error();
  }
  // As a crashed run leaves it: the file of a socket nobody has open.
  ASSERT_TRUE(std::filesystem::exists(path));
  auto server = bind_ok(Protseq::ncadg_mq, name, with(MqBackend::socket));
  ASSERT_NE(server, nullptr);
  DatagramClient client = open_ok(Protseq::ncadg_mq, name, context_);
  ASSERT_NE(client.socket, nullptr);
  ASSERT_EQ(client.socket->send_to(pattern(3, 3), client.server).status, IoStatus::ok);
  Bytes got;
  DatagramPeer from;
  EXPECT_EQ(server->receive_from(got, from, soon(), nullptr).status, IoStatus::ok);
}

TEST_F(MqTest, NamesBeyondTheLimitsAreErrors) {
  const std::string long_name(300, 'n');
  auto s = bind_datagram(Protseq::ncadg_mq, "", long_name, context_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("at most"), std::string::npos) << s.error();
  auto c = open_datagram(Protseq::ncadg_mq, "", long_name, context_);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().find("at most"), std::string::npos) << c.error();
}

// Lowers RLIMIT_MSGQUEUE for the test, so that no POSIX queue can be created, and restores it.
class NoQueueBytes {
 public:
  NoQueueBytes() {
    EXPECT_EQ(::getrlimit(RLIMIT_MSGQUEUE, &saved_), 0);
    rlimit none = saved_;
    none.rlim_cur = 0;
    EXPECT_EQ(::setrlimit(RLIMIT_MSGQUEUE, &none), 0);
  }
  ~NoQueueBytes() { ::setrlimit(RLIMIT_MSGQUEUE, &saved_); }
  NoQueueBytes(const NoQueueBytes&) = delete;
  NoQueueBytes& operator=(const NoQueueBytes&) = delete;

 private:
  rlimit saved_{};
};

TEST_F(MqTest, AutomaticFallsBackToASocketWhenQueuesAreExhausted) {
  const std::string name = unique_name();
  NoQueueBytes exhausted;
  auto forced = bind_datagram(Protseq::ncadg_mq, "", name, with(MqBackend::posix));
  ASSERT_FALSE(forced.ok());
  EXPECT_NE(forced.error().find("mq_open"), std::string::npos) << forced.error();

  auto server = bind_ok(Protseq::ncadg_mq, name, with(MqBackend::automatic));
  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(std::filesystem::exists(context_.base.run_dir / ("mq-" + name)));
  EXPECT_EQ(probe_queue(posix_queue(name)), ENOENT);
  DatagramClient client = open_ok(Protseq::ncadg_mq, name, with(MqBackend::automatic));
  ASSERT_NE(client.socket, nullptr);
  EXPECT_EQ(client.server.address.front(), 'U');
  ASSERT_EQ(client.socket->send_to(pattern(9, 9), client.server).status, IoStatus::ok);
  Bytes got;
  DatagramPeer from;
  ASSERT_EQ(server->receive_from(got, from, soon(), nullptr).status, IoStatus::ok);
  EXPECT_EQ(from.address.front(), 'U');
  ASSERT_EQ(server->send_to(got, from).status, IoStatus::ok);
  ASSERT_EQ(client.socket->receive_from(got, from, soon(), nullptr).status, IoStatus::ok);
  EXPECT_EQ(got, pattern(9, 9));
}

}  // namespace
}  // namespace rpcfit::transport
