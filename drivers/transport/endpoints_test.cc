// Run directories, endpoint names, listener endpoints and the Waker: what does not need a
// connection on every protocol sequence.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include "drivers/transport/test_support.h"
#include "drivers/transport/transport.h"

namespace rpcfit::transport {
namespace {

using test_support::cancel_pdu;
using test_support::concat;
using test_support::is_unix;
using test_support::RawSocket;
using test_support::Recorder;
using test_support::request_pdu;
using test_support::TempDir;

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

TEST(WakerTest, PendingSeesAWakeWithoutConsumingIt) {
  Waker w;
  EXPECT_FALSE(w.pending());
  w.wake();
  EXPECT_TRUE(w.pending());
  EXPECT_TRUE(w.pending());
  EXPECT_TRUE(w.consume());
  EXPECT_FALSE(w.pending());
}

}  // namespace
}  // namespace rpcfit::transport
