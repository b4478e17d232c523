// The UDP proxy: one thread polls the listening socket and every mapping's upstream socket, and
// sends the datagrams it holds back (delay) when they are due.
#include <poll.h>

#include <sys/socket.h>
#include <condition_variable>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <map>
#include <thread>
#include <vector>

#include "drivers/fault/proxy/proxy_internal.h"
#include "drivers/transport/addressing.h"
#include "drivers/transport/fd_util.h"
#include "drivers/transport/sockets.h"
#include "harness/fault/corrupt.h"
#include "harness/seams/transport.h"

namespace rpcfit::fault::proxy_internal {

using transport::internal::bound_socket;
using transport::internal::errno_text;
using transport::internal::Fd;
using transport::internal::recv_datagram;
using transport::internal::socket_local_endpoint;
using transport::internal::SocketAddress;
using transport::internal::to_endpoint;
using transport::internal::to_socket_address;

namespace {

constexpr std::size_t kMaxDatagram = 65536;
// Client addresses served at once (each holds an upstream socket); datagrams from more are dropped
// until idle ones expire.
constexpr std::size_t kMaxMappings = 1024;

// One client address and its own upstream socket: a conversation.
struct Mapping {
  Endpoint client;
  SocketAddress client_address;
  Fd upstream;
  std::uint64_t index = 0;
  std::shared_ptr<FaultPlan> plan;
  Duration last_active{0};
  // reorder: datagrams held until the next one of their direction is sent (c2s, s2c).
  std::vector<Bytes> held[2];
};

struct Scheduled {
  std::shared_ptr<Mapping> mapping;
  Direction direction = Direction::client_to_server;
  Bytes bytes;
  unsigned copies = 1;
  bool hold = false;
};

class UdpProxy final : public Proxy {
 public:
  UdpProxy(ProxyOptions options, Fd listener)
      : Proxy(std::move(options)),
        listener_(std::move(listener)),
        listening_(socket_local_endpoint(listener_.get())) {
    thread_ = std::thread([this] { loop(); });
  }
  ~UdpProxy() override { stop(); }

  Endpoint listening() const override { return listening_; }

  bool settle(std::chrono::milliseconds patience) override {
    // The loop counts each pass that found nothing to read and nothing due; one that begins
    // after this call saw everything that had arrived by it.
    std::unique_lock lock(settle_mu_);
    const std::uint64_t asked = ++settle_asked_;
    poke_.wake();
    return settle_cv_.wait_for(lock, patience, [&] { return quiet_ >= asked; });
  }

  void stop() override {
    std::lock_guard lock(stop_mu_);
    stop_.wake();
    if (thread_.joinable()) thread_.join();
    scheduled_.clear();
    mappings_.clear();
    listener_.reset();
  }

 private:
  void loop();
  void from_client(Bytes& buffer);
  void from_upstream(const std::shared_ptr<Mapping>& m, Bytes& buffer);
  void handle(const std::shared_ptr<Mapping>& m, Direction direction, Bytes datagram);
  void emit(Scheduled& s);
  void send(Mapping& m, Direction direction, const Bytes& datagram);
  void run_due();
  void expire_idle();

  Fd listener_;
  const Endpoint listening_;
  Waker stop_;  // never consumed
  std::mutex stop_mu_;
  // Owned by the loop's thread.
  std::map<Endpoint, std::shared_ptr<Mapping>> mappings_;
  std::multimap<std::pair<Duration, std::uint64_t>, Scheduled> scheduled_;  // (due, order)
  std::uint64_t order_ = 0;
  Waker poke_;  // settle() wants a pass
  std::mutex settle_mu_;
  std::condition_variable settle_cv_;
  std::uint64_t settle_asked_ = 0;  // guarded by settle_mu_
  std::uint64_t quiet_ = 0;         // the last settle request a quiet pass answered
  std::thread thread_;
};

void UdpProxy::loop() {
  Bytes buffer(kMaxDatagram);
  std::vector<pollfd> fds;
  std::vector<std::shared_ptr<Mapping>> polled;
  for (;;) {
    run_due();
    expire_idle();
    // One ppoll over many descriptors (wait_fd waits on one): the stop Waker first, so that a
    // stop wins, then settle()'s, the listening socket and every mapping's upstream socket.
    fds.assign({{stop_.fd(), POLLIN, 0}, {poke_.fd(), POLLIN, 0}, {listener_.get(), POLLIN, 0}});
    polled.clear();
    for (const auto& [client, m] : mappings_) {
      fds.push_back({m->upstream.get(), POLLIN, 0});
      polled.push_back(m);
    }
    // A settle request is answered by a pass that finds nothing to read and nothing due.
    std::uint64_t asked = 0;
    {
      std::lock_guard lock(settle_mu_);
      asked = settle_asked_;
    }
    poke_.consume();
    if (asked > quiet_) {
      timespec now{0, 0};
      const bool due = !scheduled_.empty() && scheduled_.begin()->first.first <= clock_.now();
      if (!due && ::ppoll(fds.data() + 2, fds.size() - 2, &now, nullptr) == 0) {
        std::lock_guard lock(settle_mu_);
        quiet_ = asked;
        settle_cv_.notify_all();
      }
    }
    // Wake for the next due datagram, and at least once a second to expire idle mappings.
    Duration wake = clock_.now() + std::chrono::seconds(1);
    if (!scheduled_.empty()) wake = std::min(wake, scheduled_.begin()->first.first);
    if (asked > quiet_) wake = clock_.now();  // not quiet yet: another pass at once
    const auto left = clock_.real_remaining(Deadline(wake)).value_or(Duration{0});
    timespec ts{static_cast<time_t>(left.count() / 1'000'000'000),
                static_cast<long>(left.count() % 1'000'000'000)};
    const int ready = ::ppoll(fds.data(), fds.size(), &ts, nullptr);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || fds[0].revents != 0) return;
    if (fds[2].revents != 0) from_client(buffer);
    for (std::size_t i = 0; i < polled.size(); ++i) {
      if (fds[i + 3].revents != 0) from_upstream(polled[i], buffer);
    }
  }
}

void UdpProxy::from_client(Bytes& buffer) {
  for (;;) {
    SocketAddress from;
    from.length = sizeof from.storage;
    const ssize_t n = recv_datagram(listener_.get(), buffer, &from.storage, &from.length);
    if (n < 0) return;  // drained (EAGAIN), or an error ICMP left on the socket
    if (static_cast<std::size_t>(n) > buffer.size()) continue;  // never: no UDP payload is longer
    const Endpoint client = to_endpoint(from);
    if (mappings_.count(client) == 0 && mappings_.size() >= kMaxMappings) {
      expire_idle();
      if (mappings_.size() >= kMaxMappings) continue;  // a descriptor each: dropped, as on a net
    }
    auto& m = mappings_[client];
    if (!m) {
      const SocketAddress to = to_socket_address(options_.upstream);
      Fd upstream(::socket(to.storage.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
      if (!upstream.valid() || ::connect(upstream.get(), to.get(), to.length) != 0) {
        const int err = errno;
        mappings_.erase(client);
        count_upstream_failure();
        log("datagrams from " + client.to_string() + ": upstream " + options_.upstream.to_string() +
            " unreachable: " + errno_text("connect", err));
        continue;
      }
      m = std::make_shared<Mapping>();
      m->client = client;
      m->client_address = from;
      m->upstream = std::move(upstream);
      auto conversation = next_conversation();
      m->index = conversation.index;
      m->plan = std::move(conversation.plan);
    }
    handle(m, Direction::client_to_server, Bytes(buffer.begin(), buffer.begin() + n));
  }
}

void UdpProxy::from_upstream(const std::shared_ptr<Mapping>& m, Bytes& buffer) {
  for (;;) {
    const ssize_t n = recv_datagram(m->upstream.get(), buffer, nullptr, nullptr);
    // EAGAIN: drained; ECONNREFUSED: nobody listens upstream (yet), which the client sees as
    // silence, as it would without the proxy.
    if (n < 0) return;
    if (static_cast<std::size_t>(n) > buffer.size()) continue;  // never, as in from_client
    handle(m, Direction::server_to_client, Bytes(buffer.begin(), buffer.begin() + n));
  }
}

void UdpProxy::handle(const std::shared_ptr<Mapping>& m, Direction direction, Bytes datagram) {
  const Duration now = clock_.now();
  m->last_active = now;
  Scheduled s;
  s.mapping = m;
  s.direction = direction;
  s.bytes = std::move(datagram);
  Duration due = now;
  if (const auto facts = facts_of(direction, s.bytes)) {
    const Action action = m->plan->decide(*facts, now);
    if (action.blackhole || action.drop) return;
    for (const auto& c : action.corruptions)
      (void)corrupt_field(s.bytes, c.field, c.value);
    if (action.truncate_to && *action.truncate_to < s.bytes.size()) {
      s.bytes.resize(*action.truncate_to);
    }
    s.copies = action.copies;
    s.hold = action.hold;
    due = now + action.delay;
  }
  if (due <= now) {
    emit(s);
  } else {
    scheduled_.emplace(std::make_pair(due, order_++), std::move(s));
  }
}

void UdpProxy::emit(Scheduled& s) {
  auto& held = s.mapping->held[direction_index(s.direction)];
  if (s.hold) {
    for (unsigned i = 0; i < s.copies; ++i)
      held.push_back(s.bytes);
    return;
  }
  for (unsigned i = 0; i < s.copies; ++i)
    send(*s.mapping, s.direction, s.bytes);
  std::vector<Bytes> released;
  released.swap(held);
  for (const auto& d : released)
    send(*s.mapping, s.direction, d);
}

void UdpProxy::send(Mapping& m, Direction direction, const Bytes& datagram) {
  const bool c2s = direction == Direction::client_to_server;
  const ssize_t n = c2s ? ::send(m.upstream.get(), datagram.data(), datagram.size(), 0)
                        : ::sendto(listener_.get(), datagram.data(), datagram.size(), 0,
                                   m.client_address.get(), m.client_address.length);
  if (n < 0) return;  // lost, as a datagram may be
  if (options_.capture == nullptr) return;
  const Endpoint& upstream = options_.upstream;
  options_.capture->pdu(CapturedPdu{clock_.wall_now(), TransportKind::udp,
                                    c2s ? m.client : upstream, c2s ? upstream : m.client,
                                    datagram});
}

void UdpProxy::run_due() {
  while (!scheduled_.empty() && scheduled_.begin()->first.first <= clock_.now()) {
    Scheduled s = std::move(scheduled_.begin()->second);
    scheduled_.erase(scheduled_.begin());
    emit(s);
  }
}

void UdpProxy::expire_idle() {
  const Duration now = clock_.now();
  for (auto it = mappings_.begin(); it != mappings_.end();) {
    if (now - it->second->last_active >= options_.udp_idle) {
      it = mappings_.erase(it);  // datagrams still scheduled keep it alive until sent
    } else {
      ++it;
    }
  }
}

}  // namespace

Result<std::unique_ptr<Proxy>, std::string> start_udp(ProxyOptions options) {
  auto listener = bound_socket(options.listen, SOCK_DGRAM);
  if (!listener)
    return unexpected("cannot listen on " + options.listen.to_string() + ": " + listener.error());
  return std::unique_ptr<Proxy>(new UdpProxy(std::move(options), std::move(*listener)));
}

}  // namespace rpcfit::fault::proxy_internal
