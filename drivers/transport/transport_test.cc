#include "drivers/transport/transport.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "harness/wire/codec.h"

namespace rpcfit::transport {
namespace {

using std::chrono::milliseconds;

// Records everything teed; both the send and the receive path may call it.
class Recorder final : public CaptureSink {
 public:
  enum class Kind : std::uint8_t { opened, pdu, closed };
  struct Event {
    Kind kind;
    Endpoint a;  // client, src or closer
    Endpoint b;  // server, dst or peer
    Bytes bytes;
  };

  void connection_opened(Timestamp, const Endpoint& client, const Endpoint& server) override {
    add({Kind::opened, client, server, {}});
  }
  void pdu(const CapturedPdu& pdu) override { add({Kind::pdu, pdu.src, pdu.dst, pdu.bytes}); }
  void connection_closed(Timestamp, const Endpoint& closer, const Endpoint& peer) override {
    add({Kind::closed, closer, peer, {}});
  }

  std::vector<Event> of(Kind kind) const {
    std::lock_guard lock(mu_);
    std::vector<Event> out;
    for (const Event& e : events_) {
      if (e.kind == kind) out.push_back(e);
    }
    return out;
  }

 private:
  void add(Event e) {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(e));
  }
  mutable std::mutex mu_;
  std::vector<Event> events_;
};

Bytes cancel_pdu(std::uint32_t call_id) {
  wire::CoPdu p;
  p.type = wire::PType::co_cancel;
  p.flags = wire::pfc::kLastFrag;
  p.call_id = call_id;
  p.body = wire::CoOpaque{};
  return wire::encode(p);
}

// A request PDU of exactly `frag_length` bytes (24-byte header and request fields, then stub).
Bytes request_pdu(std::uint32_t call_id, std::size_t frag_length) {
  wire::CoPdu p;
  p.type = wire::PType::request;
  p.flags = wire::pfc::kFirstFrag | wire::pfc::kLastFrag;
  p.call_id = call_id;
  p.body.emplace<wire::CoRequest>();
  auto& body = std::get<wire::CoRequest>(p.body);
  body.stub.resize(frag_length - 24);
  for (std::size_t i = 0; i < body.stub.size(); ++i)
    body.stub[i] = static_cast<std::uint8_t>(i * 7 + call_id);
  body.alloc_hint = static_cast<std::uint32_t>(body.stub.size());
  Bytes out = wire::encode(p);
  EXPECT_EQ(out.size(), frag_length);
  return out;
}

Bytes concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

bool is_unix(Protseq p) {
  return p == Protseq::ncacn_np || p == Protseq::ncalrpc;
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/rpcfit-transport-XXXXXX";
    const char* made = ::mkdtemp(tmpl);
    EXPECT_NE(made, nullptr);
    path_ = made ? made : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A socket driven by hand, for bytes the transport itself would never send.
class RawSocket {
 public:
  explicit RawSocket(int fd) : fd_(fd) {}
  ~RawSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  int fd() const { return fd_; }
  void send_all(const Bytes& data) const {
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      ASSERT_GT(n, 0) << std::strerror(errno);
      done += static_cast<std::size_t>(n);
    }
  }
  std::string recv_exact(std::size_t n) const {
    std::string out(n, '\0');
    std::size_t done = 0;
    while (done < n) {
      const ssize_t got = ::recv(fd_, out.data() + done, n - done, 0);
      if (got <= 0) break;
      done += static_cast<std::size_t>(got);
    }
    out.resize(done);
    return out;
  }

 private:
  int fd_;
};

class TransportTest : public ::testing::TestWithParam<Protseq> {
 protected:
  TransportTest() {
    context_.clock = &clock_;
    context_.capture = &recorder_;
    context_.run_dir = dir_.path();
  }

  Deadline in(milliseconds d) const { return clock_.now() + d; }
  Deadline soon() const { return in(milliseconds(10'000)); }

  std::unique_ptr<StreamListener> listen_any() {
    auto l = listen(GetParam(), "", "", context_);
    EXPECT_TRUE(l.ok()) << (l.ok() ? "" : l.error());
    return l.ok() ? std::move(l.value()) : nullptr;
  }

  // Connects a client to `listener` and accepts the server side.
  void open(StreamListener& listener) {
    auto c = connect(GetParam(), "", listener.endpoint(), context_, soon());
    ASSERT_TRUE(c.ok()) << c.error().detail;
    client_ = std::move(c.value());
    IoResult r;
    server_ = listener.accept(soon(), nullptr, r);
    ASSERT_TRUE(r.ok()) << r.detail;
    ASSERT_NE(server_, nullptr);
  }

  // A hand-driven client; for ncacn_http it has read the banner already.
  std::unique_ptr<RawSocket> raw_connect(const StreamListener& listener) {
    std::unique_ptr<RawSocket> s;
    if (is_unix(GetParam())) {
      s = std::make_unique<RawSocket>(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
      std::string name = listener.endpoint();
      if (GetParam() == Protseq::ncacn_np) name = name.substr(std::strlen("\\pipe\\"));
      const std::string path =
          (dir_.path() / ((GetParam() == Protseq::ncacn_np ? "np-" : "lrpc-") + name)).string();
      sockaddr_un un{};
      un.sun_family = AF_UNIX;
      std::strncpy(un.sun_path, path.c_str(), sizeof un.sun_path - 1);
      EXPECT_EQ(::connect(s->fd(), reinterpret_cast<sockaddr*>(&un), sizeof un), 0)
          << std::strerror(errno);
    } else {
      s = std::make_unique<RawSocket>(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      sockaddr_in in{};
      in.sin_family = AF_INET;
      in.sin_port = htons(static_cast<std::uint16_t>(std::stoi(listener.endpoint())));
      in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      EXPECT_EQ(::connect(s->fd(), reinterpret_cast<sockaddr*>(&in), sizeof in), 0)
          << std::strerror(errno);
    }
    return s;
  }

  std::unique_ptr<StreamConnection> accept_one(StreamListener& listener) {
    IoResult r;
    auto conn = listener.accept(soon(), nullptr, r);
    EXPECT_TRUE(r.ok()) << r.detail;
    return conn;
  }

  void send(StreamConnection& c, Bytes pdu) {
    c.queue(std::move(pdu));
    const IoResult r = c.flush(soon(), nullptr);
    ASSERT_TRUE(r.ok()) << r.detail;
  }

  Bytes receive(StreamConnection& c) {
    Bytes pdu;
    const IoResult r = c.receive(pdu, soon(), nullptr);
    EXPECT_TRUE(r.ok()) << r.detail;
    return pdu;
  }

  TempDir dir_;
  RealClock clock_;
  Recorder recorder_;
  TransportContext context_;
  std::unique_ptr<StreamConnection> client_;
  std::unique_ptr<StreamConnection> server_;
};

INSTANTIATE_TEST_SUITE_P(AllProtseqs, TransportTest,
                         ::testing::Values(Protseq::ncacn_ip_tcp, Protseq::ncacn_http,
                                           Protseq::ncacn_np, Protseq::ncalrpc),
                         [](const auto& param_info) {
                           return std::string(protseq_name(param_info.param));
                         });

TEST_P(TransportTest, RoundTripsPdusBothWaysAndTeesThem) {
  auto listener = listen_any();
  ASSERT_NE(listener, nullptr);
  ASSERT_NO_FATAL_FAILURE(open(*listener));
  const Bytes to_server = cancel_pdu(1);
  const Bytes to_client = request_pdu(2, 100);
  send(*client_, to_server);
  EXPECT_EQ(receive(*server_), to_server);
  send(*server_, to_client);
  EXPECT_EQ(receive(*client_), to_client);

  const Endpoint c_local = client_->local_endpoint();
  const Endpoint c_peer = client_->peer_endpoint();
  const Endpoint s_local = server_->local_endpoint();
  const Endpoint s_peer = server_->peer_endpoint();
  EXPECT_EQ(s_local, c_peer);
  if (is_unix(GetParam())) {
    const std::uint8_t net = GetParam() == Protseq::ncacn_np ? 2 : 3;
    EXPECT_EQ(c_local.address, IpAddress::v4(127, 0, net, 1));
    EXPECT_EQ(s_peer.address, IpAddress::v4(127, 0, net, 1));
    EXPECT_EQ(c_peer.address, IpAddress::v4(127, 0, net, 2));
    EXPECT_GE(c_local.port, 50000);
    EXPECT_GE(s_peer.port, 50000);
    EXPECT_GE(c_peer.port, 49152);
  } else {
    EXPECT_EQ(c_local, s_peer);
    EXPECT_EQ(c_peer.address, IpAddress::loopback_v4());
    EXPECT_EQ(std::to_string(s_local.port), listener->endpoint());
  }

  const auto opened = recorder_.of(Recorder::Kind::opened);
  ASSERT_EQ(opened.size(), 2u);
  EXPECT_EQ(opened[0].a, c_local);
  EXPECT_EQ(opened[0].b, c_peer);
  EXPECT_EQ(opened[1].a, s_peer);
  EXPECT_EQ(opened[1].b, s_local);

  // The banner is not a PDU: only the two PDUs appear, once from each side.
  const auto pdus = recorder_.of(Recorder::Kind::pdu);
  ASSERT_EQ(pdus.size(), 4u);
  EXPECT_EQ(pdus[0].a, c_local);
  EXPECT_EQ(pdus[0].b, c_peer);
  EXPECT_EQ(pdus[0].bytes, to_server);
  EXPECT_EQ(pdus[1].a, s_peer);
  EXPECT_EQ(pdus[1].b, s_local);
  EXPECT_EQ(pdus[1].bytes, to_server);
  EXPECT_EQ(pdus[2].a, s_local);
  EXPECT_EQ(pdus[2].b, s_peer);
  EXPECT_EQ(pdus[3].a, c_peer);
  EXPECT_EQ(pdus[3].b, c_local);
  EXPECT_EQ(pdus[3].bytes, to_client);
  EXPECT_EQ(client_->bytes_written(), to_server.size());
}

TEST_P(TransportTest, ClientsCloseIsTeedOnceBySideAndPeerSeesClosed) {
  auto listener = listen_any();
  ASSERT_NE(listener, nullptr);
  ASSERT_NO_FATAL_FAILURE(open(*listener));
  const Endpoint c_local = client_->local_endpoint();
  const Endpoint c_peer = client_->peer_endpoint();
  const Endpoint s_local = server_->local_endpoint();
  const Endpoint s_peer = server_->peer_endpoint();
  client_->close();
  client_->close();
  Bytes pdu;
  EXPECT_EQ(server_->receive(pdu, soon(), nullptr).status, IoStatus::closed);
  EXPECT_EQ(server_->receive(pdu, soon(), nullptr).status, IoStatus::closed);
  server_->close();
  server_.reset();
  client_.reset();
  // The client tees its own close; the server tees the end of stream it read, naming the client
  // as the closer; neither close() afterwards adds a record.
  const auto closed = recorder_.of(Recorder::Kind::closed);
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[0].a, c_local);
  EXPECT_EQ(closed[0].b, c_peer);
  EXPECT_EQ(closed[1].a, s_peer);
  EXPECT_EQ(closed[1].b, s_local);
}

TEST_P(TransportTest, LargePduArrivingInPiecesIsOneFrame) {
  auto listener = listen_any();
  ASSERT_NE(listener, nullptr);
  auto raw = raw_connect(*listener);
  auto server = accept_one(*listener);
  ASSERT_NE(server, nullptr);
  if (GetParam() == Protseq::ncacn_http) {
    EXPECT_EQ(raw->recv_exact(14), "ncacn_http/1.0");
  }
  const Bytes big = request_pdu(7, 60000);
  const Bytes first(big.begin(), big.begin() + 30000);
  const Bytes second(big.begin() + 30000, big.end());
  raw->send_all(first);
  Bytes pdu;
  EXPECT_EQ(server->receive(pdu, in(milliseconds(50)), nullptr).status, IoStatus::timed_out);
  EXPECT_EQ(server->try_receive(pdu).status, IoStatus::timed_out);
  raw->send_all(second);
  EXPECT_EQ(receive(*server), big);

  // And through the transport on both ends.
  auto c = connect(GetParam(), "", listener->endpoint(), context_, soon());
  ASSERT_TRUE(c.ok()) << c.error().detail;
  auto accepted = accept_one(*listener);
  ASSERT_NE(accepted, nullptr);
  send(**c, big);
  EXPECT_EQ(receive(*accepted), big);
}

TEST_P(TransportTest, TwoPdusInOneWriteAreTwoFrames) {
  auto listener = listen_any();
  ASSERT_NE(listener, nullptr);
  auto raw = raw_connect(*listener);
  auto server = accept_one(*listener);
  ASSERT_NE(server, nullptr);
  if (GetParam() == Protseq::ncacn_http) {
    EXPECT_EQ(raw->recv_exact(14), "ncacn_http/1.0");
  }
  const Bytes a = cancel_pdu(3);
  const Bytes b = request_pdu(4, 64);
  raw->send_all(concat(a, b));
  EXPECT_EQ(receive(*server), a);
  Bytes pdu;
  ASSERT_TRUE(server->try_receive(pdu).ok());
  EXPECT_EQ(pdu, b);
  EXPECT_EQ(server->try_receive(pdu).status, IoStatus::timed_out);
}

TEST_P(TransportTest, ReceiveTimesOutAtTheDeadline) {
  auto listener = listen_any();
  ASSERT_NE(listener, nullptr);
  ASSERT_NO_FATAL_FAILURE(open(*listener));
  Bytes pdu;
  EXPECT_EQ(client_->receive(pdu, in(milliseconds(30)), nullptr).status, IoStatus::timed_out);
  EXPECT_EQ(server_->receive(pdu, in(milliseconds(0)), nullptr).status, IoStatus::timed_out);
  // Nothing is lost by a timeout.
  send(*client_, cancel_pdu(9));
  EXPECT_EQ(receive(*server_), cancel_pdu(9));
}

TEST_P(TransportTest, WakerMakesReceiveAndAcceptReturnWoken) {
  auto listener = listen_any();
  ASSERT_NE(listener, nullptr);
  ASSERT_NO_FATAL_FAILURE(open(*listener));
  Waker waker;
  waker.wake();
  Bytes pdu;
  EXPECT_EQ(server_->receive(pdu, soon(), &waker).status, IoStatus::woken);
  IoResult r;
  EXPECT_EQ(listener->accept(soon(), &waker, r), nullptr);
  EXPECT_EQ(r.status, IoStatus::woken);
  EXPECT_TRUE(waker.consume());

  // From another thread, while the receiver waits (or before it starts: wakes are sticky).
  IoResult woken;
  std::thread receiver([&] {
    Bytes p;
    woken = server_->receive(p, soon(), &waker);
  });
  waker.wake();
  receiver.join();
  EXPECT_EQ(woken.status, IoStatus::woken);
  EXPECT_TRUE(waker.consume());
  EXPECT_FALSE(waker.consume());
}

TEST_P(TransportTest, InterruptUnblocksAReceiveInAnotherThread) {
  auto listener = listen_any();
  ASSERT_NE(listener, nullptr);
  ASSERT_NO_FATAL_FAILURE(open(*listener));
  IoResult got;
  std::thread receiver([&] {
    Bytes p;
    got = client_->receive(p, soon(), nullptr);
  });
  client_->interrupt();
  receiver.join();
  EXPECT_EQ(got.status, IoStatus::failed);
  EXPECT_EQ(got.detail, "connection interrupted");
  // The server sees the client end the stream.
  Bytes pdu;
  EXPECT_EQ(server_->receive(pdu, soon(), nullptr).status, IoStatus::closed);
  client_->close();
  const auto closed = recorder_.of(Recorder::Kind::closed);
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[1].a, client_->local_endpoint());
}

TEST_P(TransportTest, GarbageFromThePeerFailsTheConnection) {
  auto listener = listen_any();
  ASSERT_NE(listener, nullptr);
  auto raw = raw_connect(*listener);
  auto server = accept_one(*listener);
  ASSERT_NE(server, nullptr);
  const std::string junk = "GET / HTTP/1.1\r\n";
  raw->send_all(Bytes(junk.begin(), junk.end()));
  Bytes pdu;
  const IoResult r = server->receive(pdu, soon(), nullptr);
  EXPECT_EQ(r.status, IoStatus::failed);
  EXPECT_NE(r.detail.find("bad_version"), std::string::npos) << r.detail;
  EXPECT_EQ(server->try_receive(pdu).status, IoStatus::failed);
}

TEST_P(TransportTest, FlushTimesOutOrWakesWhenThePeerDoesNotReadAndResumesLater) {
  auto listener = listen_any();
  ASSERT_NE(listener, nullptr);
  ASSERT_NO_FATAL_FAILURE(open(*listener));
  constexpr int kCount = 300;  // 18 MB: more than the socket buffers hold
  for (int i = 0; i < kCount; ++i)
    client_->queue(request_pdu(static_cast<std::uint32_t>(i), 60000));
  EXPECT_EQ(client_->flush(in(milliseconds(50)), nullptr).status, IoStatus::timed_out);
  const std::size_t written = client_->bytes_written();
  EXPECT_GT(written, 0u);
  EXPECT_LT(written, std::size_t{kCount} * 60000);
  Waker waker;
  waker.wake();
  EXPECT_EQ(client_->flush(soon(), &waker).status, IoStatus::woken);

  // Sender and receiver in different threads, on the same stream.
  int received = 0;
  IoResult last;
  std::thread receiver([&] {
    for (; received < kCount; ++received) {
      Bytes p;
      last = server_->receive(p, soon(), nullptr);
      if (!last.ok() || p != request_pdu(static_cast<std::uint32_t>(received), 60000)) return;
    }
  });
  const IoResult flushed = client_->flush(soon(), nullptr);
  receiver.join();
  EXPECT_TRUE(flushed.ok()) << flushed.detail;
  EXPECT_TRUE(last.ok()) << last.detail;
  EXPECT_EQ(received, kCount);
  EXPECT_EQ(client_->bytes_written(), std::size_t{kCount} * 60000);
}

TEST_P(TransportTest, FlushToAClosedPeerFails) {
  auto listener = listen_any();
  ASSERT_NE(listener, nullptr);
  ASSERT_NO_FATAL_FAILURE(open(*listener));
  server_->close();
  Bytes pdu;
  EXPECT_EQ(client_->receive(pdu, soon(), nullptr).status, IoStatus::closed);
  IoResult r;
  // The first write may still be accepted by the kernel; the reset shows on a later one.
  for (int i = 0; i < 100 && r.ok(); ++i) {
    client_->queue(request_pdu(1, 60000));
    r = client_->flush(soon(), nullptr);
  }
  EXPECT_EQ(r.status, IoStatus::failed);
  EXPECT_EQ(r.detail, "connection reset");
}

TEST_P(TransportTest, ConnectingWhereNothingListensFails) {
  std::string endpoint = "nobody-here";
  if (!is_unix(GetParam())) {
    auto l = listen(GetParam(), "", "", context_);
    ASSERT_TRUE(l.ok());
    endpoint = (*l)->endpoint();
    (*l)->close();
  }
  auto c = connect(GetParam(), "", endpoint, context_, soon());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().status, IoStatus::failed);
  EXPECT_FALSE(c.error().detail.empty());
}

TEST_P(TransportTest, ListenerEndpointIsThePortOrAGeneratedName) {
  auto listener = listen_any();
  ASSERT_NE(listener, nullptr);
  const std::string ep = listener->endpoint();
  switch (GetParam()) {
    case Protseq::ncacn_ip_tcp:
    case Protseq::ncacn_http:
      EXPECT_GT(std::stoi(ep), 0);
      EXPECT_EQ(ep.find_first_not_of("0123456789"), std::string::npos);
      break;
    case Protseq::ncacn_np:
      EXPECT_EQ(ep.rfind("\\pipe\\rpcfit-", 0), 0u) << ep;
      break;
    case Protseq::ncalrpc:
      EXPECT_EQ(ep.rfind("rpcfit-", 0), 0u) << ep;
      break;
  }
  auto other = listen(GetParam(), "", "0", context_);
  ASSERT_TRUE(other.ok()) << other.error();
  EXPECT_NE((*other)->endpoint(), ep);
}

TEST(HttpBanner, ConnectRejectsAServerThatSendsSomethingElse) {
  TempDir dir;
  RealClock clock;
  TransportContext context{&clock, nullptr, dir.path()};
  auto listener = listen(Protseq::ncacn_ip_tcp, "", "", context);
  ASSERT_TRUE(listener.ok()) << listener.error();
  std::thread server([&] {
    IoResult r;
    auto conn = (*listener)->accept(clock.now() + seconds(10), nullptr, r);
    if (!conn) return;
    conn->queue(cancel_pdu(1));
    conn->flush(clock.now() + seconds(10), nullptr);
    Bytes pdu;
    conn->receive(pdu, clock.now() + seconds(10), nullptr);  // until the client gives up
  });
  auto c =
      connect(Protseq::ncacn_http, "", (*listener)->endpoint(), context, clock.now() + seconds(10));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().status, IoStatus::failed);
  EXPECT_EQ(c.error().detail, "bad ncacn_http banner");
  server.join();
}

TEST(Tcp, ListensOnIpv6LoopbackWhenAvailable) {
  RealClock clock;
  TransportContext context{&clock, nullptr, {}};
  auto listener = listen(Protseq::ncacn_ip_tcp, "::1", "0", context);
  if (!listener.ok()) GTEST_SKIP() << "no IPv6 loopback: " << listener.error();
  auto c = connect(Protseq::ncacn_ip_tcp, "::1", (*listener)->endpoint(), context,
                   clock.now() + seconds(10));
  ASSERT_TRUE(c.ok()) << c.error().detail;
  EXPECT_TRUE((*c)->local_endpoint().address.v6);
  EXPECT_EQ(std::to_string((*c)->peer_endpoint().port), (*listener)->endpoint());
}

TEST(Tcp, RejectsBadPorts) {
  RealClock clock;
  TransportContext context{&clock, nullptr, {}};
  EXPECT_FALSE(listen(Protseq::ncacn_ip_tcp, "", "70000", context).ok());
  EXPECT_FALSE(listen(Protseq::ncacn_ip_tcp, "", "12ab", context).ok());
  auto c = connect(Protseq::ncacn_ip_tcp, "", "", context, clock.now() + seconds(1));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().status, IoStatus::failed);
}

TEST(PrivateDir, CreatesWithMode0700AndRefusesOpenOnes) {
  TempDir dir;
  const auto made = dir.path() / "run";
  auto ok = ensure_private_dir(made);
  ASSERT_TRUE(ok.ok()) << ok.error();
  struct stat st {};
  ASSERT_EQ(::stat(made.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_TRUE(ensure_private_dir(made).ok());

  const auto open_dir = dir.path() / "open";
  ASSERT_EQ(::mkdir(open_dir.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(open_dir.c_str(), 0755), 0);
  auto refused = ensure_private_dir(open_dir);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find(open_dir.string()), std::string::npos) << refused.error();
  EXPECT_NE(refused.error().find("0755"), std::string::npos) << refused.error();

  RealClock clock;
  TransportContext context{&clock, nullptr, open_dir};
  auto l = listen(Protseq::ncalrpc, "", "x", context);
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.error().find(open_dir.string()), std::string::npos);
  auto c = connect(Protseq::ncacn_np, "", "x", context, clock.now() + seconds(1));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().detail.find(open_dir.string()), std::string::npos);

  const auto file = dir.path() / "file";
  ASSERT_TRUE(std::ofstream(file).good());
  EXPECT_FALSE(ensure_private_dir(file).ok());
}

TEST(RunDir, DefaultFollowsTheEnvironment) {
  const char* saved = std::getenv("RPCFIT_RUN_DIR");
  const std::string keep = saved ? saved : "";
  ::setenv("RPCFIT_RUN_DIR", "/tmp/somewhere", 1);
  EXPECT_EQ(default_run_dir(), "/tmp/somewhere");
  ::unsetenv("RPCFIT_RUN_DIR");
  EXPECT_FALSE(default_run_dir().empty());
  if (saved) ::setenv("RPCFIT_RUN_DIR", keep.c_str(), 1);
}

class UnixEndpoints : public ::testing::Test {
 protected:
  UnixEndpoints() { context_.run_dir = dir_.path(); }
  Deadline soon() const { return clock_.now() + seconds(10); }

  // Whether `name` reaches `listener` (the connection is accepted and carries a PDU).
  void expect_reaches(Protseq protseq, const std::string& name, StreamListener& listener) {
    SCOPED_TRACE(name);
    auto c = connect(protseq, "", name, context_, soon());
    ASSERT_TRUE(c.ok()) << c.error().detail;
    IoResult r;
    auto s = listener.accept(soon(), nullptr, r);
    ASSERT_NE(s, nullptr) << r.detail;
    (*c)->queue(cancel_pdu(5));
    ASSERT_TRUE((*c)->flush(soon(), nullptr).ok());
    Bytes pdu;
    ASSERT_TRUE(s->receive(pdu, soon(), nullptr).ok());
    EXPECT_EQ(pdu, cancel_pdu(5));
    EXPECT_EQ(s->local_endpoint(), (*c)->peer_endpoint());
  }

  TempDir dir_;
  RealClock clock_;
  TransportContext context_{&clock_, nullptr, {}};
};

TEST_F(UnixEndpoints, PipeNamesWithAndWithoutPrefixReachTheSameSocket) {
  auto listener = listen(Protseq::ncacn_np, "", "\\\\pipe\\\\x", context_);
  ASSERT_TRUE(listener.ok()) << listener.error();
  EXPECT_EQ((*listener)->endpoint(), "\\pipe\\x");
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "np-x"));
  expect_reaches(Protseq::ncacn_np, "x", **listener);
  expect_reaches(Protseq::ncacn_np, "\\pipe\\x", **listener);
  expect_reaches(Protseq::ncacn_np, "\\\\PIPE\\\\x", **listener);
  (*listener)->close();
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "np-x"));
}

TEST_F(UnixEndpoints, NamesAreSanitizedAndServerPortsDerivedFromThem) {
  auto listener = listen(Protseq::ncalrpc, "", "my endpoint/1", context_);
  ASSERT_TRUE(listener.ok()) << listener.error();
  EXPECT_EQ((*listener)->endpoint(), "my endpoint/1");
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "lrpc-my_endpoint_1"));
  auto c = connect(Protseq::ncalrpc, "", "my endpoint/1", context_, soon());
  ASSERT_TRUE(c.ok()) << c.error().detail;
  // FNV-1a("my_endpoint_1") % 16384 + 49152, computed independently.
  std::uint32_t h = 2166136261u;
  for (char ch : std::string("my_endpoint_1")) {
    h = (h ^ static_cast<std::uint8_t>(ch)) * 16777619u;
  }
  EXPECT_EQ((*c)->peer_endpoint().port, 49152 + h % 16384);
  EXPECT_FALSE(listen(Protseq::ncacn_np, "", "\\pipe\\", context_).ok());
  EXPECT_FALSE(listen(Protseq::ncalrpc, "", std::string(200, 'a'), context_).ok());
}

TEST_F(UnixEndpoints, StaleSocketFileIsReplacedAndALiveOneRefused) {
  const auto path = dir_.path() / "lrpc-stale";
  {
    // A socket file with nothing behind it, as a crashed run leaves.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::strncpy(un.sun_path, path.c_str(), sizeof un.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&un), sizeof un), 0);
    ::close(fd);
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  auto listener = listen(Protseq::ncalrpc, "", "stale", context_);
  ASSERT_TRUE(listener.ok()) << listener.error();
  expect_reaches(Protseq::ncalrpc, "stale", **listener);

  auto second = listen(Protseq::ncalrpc, "", "stale", context_);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find("endpoint in use"), std::string::npos) << second.error();
  // The refused listener must not have removed the live one's socket.
  expect_reaches(Protseq::ncalrpc, "stale", **listener);
}

TEST_F(UnixEndpoints, TooLongRunDirIsAClearError) {
  const auto deep = dir_.path() / std::string(100, 'd');
  ASSERT_TRUE(ensure_private_dir(deep).ok());
  TransportContext context{&clock_, nullptr, deep};
  auto l = listen(Protseq::ncalrpc, "", "name", context);
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.error().find("at most 107"), std::string::npos) << l.error();
}

TEST(WakerTest, WakesAreStickyUntilConsumed) {
  Waker w;
  EXPECT_FALSE(w.consume());
  w.wake();
  w.wake();
  EXPECT_TRUE(w.consume());
  EXPECT_FALSE(w.consume());
}

}  // namespace
}  // namespace rpcfit::transport
