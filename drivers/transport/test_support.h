// Helpers shared by the transport tests: a capture recorder, sample PDUs, a private temporary run
// directory and a hand-driven socket.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "drivers/transport/transport.h"
#include "harness/wire/codec.h"

namespace rpcfit::transport {

inline void PrintTo(Protseq p, std::ostream* os) {
  *os << protseq_name(p);
}

namespace test_support {

// Records everything teed; both the send and the receive path may call it.
class Recorder final : public CaptureSink {
 public:
  enum class Kind : std::uint8_t { opened, pdu, closed };
  struct Event {
    Kind kind;
    Endpoint a;  // client, src or closer
    Endpoint b;  // server, dst or peer
    Bytes bytes;
    TransportKind transport = TransportKind::tcp;  // of a pdu
  };

  void connection_opened(Timestamp, const Endpoint& client, const Endpoint& server) override {
    add({Kind::opened, client, server, {}, TransportKind::tcp});
  }
  void pdu(const CapturedPdu& pdu) override {
    add({Kind::pdu, pdu.src, pdu.dst, pdu.bytes, pdu.transport});
  }
  void connection_closed(Timestamp, const Endpoint& closer, const Endpoint& peer) override {
    add({Kind::closed, closer, peer, {}, TransportKind::tcp});
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

inline Bytes cancel_pdu(std::uint32_t call_id) {
  wire::CoPdu p;
  p.type = wire::PType::co_cancel;
  p.flags = wire::pfc::kLastFrag;
  p.call_id = call_id;
  p.body = wire::CoOpaque{};
  return wire::encode(p);
}

// A request PDU of exactly `frag_length` bytes (24-byte header and request fields, then stub).
inline Bytes request_pdu(std::uint32_t call_id, std::size_t frag_length) {
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

inline Bytes concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

inline bool is_unix(Protseq p) {
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

}  // namespace test_support
}  // namespace rpcfit::transport
