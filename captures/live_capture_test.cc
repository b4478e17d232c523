// The live capture on the loopback interface: what two sockets exchange is taken, kept apart from
// other traffic by its conversation, and written as a pcap the reader reads. Needs capture
// privileges; without them the tests say so and skip.
#include "captures/live_capture.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "captures/capture_reader.h"

namespace rpcfit::captures {
namespace {

namespace fs = std::filesystem;

// A UDP socket bound to 127.0.0.1 on a port of the kernel's choosing.
class Udp {
 public:
  Udp() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t n = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &n);
    port_ = ntohs(a.sin_port);
  }
  ~Udp() { ::close(fd_); }
  void send_to(const Udp& other, const std::string& text) const {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(other.port_);
    EXPECT_EQ(::sendto(fd_, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a),
              static_cast<ssize_t>(text.size()));
  }
  Endpoint endpoint() const { return Endpoint{IpAddress::loopback_v4(), port_}; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

TEST(LiveCapture, TakesOneConversationOutOfTheLoopbacksTraffic) {
  auto live = LiveCapture::start("lo");
  if (!live) GTEST_SKIP() << live.error();
  Udp a, b, c;
  const std::uint64_t mark = (*live)->mark();
  a.send_to(b, "to b, once");
  b.send_to(a, "to a");
  c.send_to(b, "from c: another conversation");
  ASSERT_TRUE((*live)->sync());
  std::string dir = (fs::path(::testing::TempDir()) / "rpcfit-live-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::string file = dir + "/live.pcap";
  auto written = (*live)->write(file, {conversation_key(b.endpoint(), a.endpoint())}, mark);
  ASSERT_TRUE(written) << written.error();
  EXPECT_EQ(*written, 2u);
  const CaptureContents read = read_capture_file(file);
  EXPECT_FALSE(read.error);
  EXPECT_EQ(read.frames, 2u);
  // Frames before the mark are not written.
  auto none = (*live)->write(file, {conversation_key(a.endpoint(), b.endpoint())}, (*live)->mark());
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0u);
  EXPECT_EQ((*live)->dropped(), 0u);
  fs::remove_all(dir);
}

TEST(LiveCapture, AnInterfaceThatIsNotThereIsAnError) {
  auto live = LiveCapture::start("rpcfit-no-such-if0");
  ASSERT_FALSE(live);
  EXPECT_NE(live.error().find("cannot capture on rpcfit-no-such-if0"), std::string::npos)
      << live.error();
}

}  // namespace
}  // namespace rpcfit::captures
