// The TCP proxy: an accepting thread, and per connection a thread that connects upstream and then
// runs the c2s pump while a second thread runs the s2c pump (tcp_pump.h).
#include <sys/socket.h>

#include <cerrno>
#include <list>
#include <system_error>
#include <thread>

#include "drivers/fault/proxy/proxy_internal.h"
#include "drivers/fault/proxy/tcp_pump.h"
#include "drivers/transport/addressing.h"
#include "drivers/transport/fd_util.h"
#include "drivers/transport/sockets.h"

namespace rpcfit::fault::proxy_internal {

using transport::internal::bound_socket;
using transport::internal::close_orderly;
using transport::internal::close_with_reset;
using transport::internal::connect_socket;
using transport::internal::errno_text;
using transport::internal::set_nodelay;
using transport::internal::socket_local_endpoint;
using transport::internal::socket_peer_endpoint;
using transport::internal::SocketAddress;
using transport::internal::to_endpoint;
using transport::internal::to_socket_address;
using transport::internal::wait_fd;
using transport::internal::wait_wake;
using transport::internal::WaitOutcome;
using transport::internal::WaitResult;

namespace {

// Connections open at once; more are reset as they are accepted.
constexpr std::size_t kMaxConnections = 256;

class TcpProxy final : public Proxy {
 public:
  TcpProxy(ProxyOptions options, Fd listener, transport::internal::OwnedSocketFile file = {})
      : Proxy(std::move(options)),
        listener_(std::move(listener)),
        listening_(options_.unix_listen.empty() ? socket_local_endpoint(listener_.get())
                                                : options_.listen),
        socket_file_(std::move(file)) {
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~TcpProxy() override { stop(); }

  Endpoint listening() const override { return listening_; }

  bool settle(std::chrono::milliseconds patience) override {
    const auto deadline = std::chrono::steady_clock::now() + patience;
    for (;;) {
      bool settled = true;
      {
        std::lock_guard lock(mu_);
        for (const auto& c : connections_)
          settled = settled && (c.done() || c.link.settled());
      }
      if (settled || stop_.pending()) return settled;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      // The pumps signal nothing; they are looked at again shortly (a bounded poll).
      wait_wake(stop_, clock_, clock_.now() + std::chrono::microseconds(500));
    }
  }

  void stop() override {
    std::lock_guard stop_lock(stop_mu_);
    stop_.wake();
    if (acceptor_.joinable()) acceptor_.join();
    std::list<Connection> ending;
    {
      std::lock_guard lock(mu_);
      ending.splice(ending.end(), connections_);
    }
    for (auto& c : ending)
      c.link.waker.wake();
    ending.clear();  // joins
    listener_.reset();
    transport::internal::remove_socket_file(socket_file_);
    socket_file_ = {};
  }

 private:
  class Connection {
   public:
    Connection(TcpProxy& proxy, Fd client, Endpoint client_ep, Conversation conversation)
        : link(std::move(client), client_ep, proxy.clock_, proxy.options_.capture),
          proxy_(proxy),
          conversation_(std::move(conversation)),
          thread_([this] {
            link.blackhole_keeps_close = proxy_.options_.blackhole_keeps_close;
            run();
          }) {}
    ~Connection() { thread_.join(); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    bool done() const { return done_.load(); }

    TcpLink link;

   private:
    void run();

    TcpProxy& proxy_;
    const Conversation conversation_;
    std::atomic<bool> done_{false};
    std::thread thread_;  // last: starts once the rest is built
  };

  void accept_loop();

  Fd listener_;
  const Endpoint listening_;
  transport::internal::OwnedSocketFile socket_file_;  // Unix: the listening socket's file
  Waker stop_;                                        // never consumed
  std::mutex stop_mu_;
  std::thread acceptor_;
  std::mutex mu_;
  std::list<Connection> connections_;  // guarded by mu_
};

// A connection to the upstream (TCP, or the Unix socket file), made before `until` unless
// `waker` is woken; the message says why not.
Result<Fd, std::string> connect_upstream(const ProxyOptions& options, const Waker& waker,
                                         const Clock& clock, Duration until) {
  const bool unix_socket = !options.unix_upstream.empty();
  const SocketAddress address = unix_socket
                                    ? transport::internal::unix_address(options.unix_upstream)
                                    : to_socket_address(options.upstream);
  Fd fd(::socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return unexpected(errno_text("socket", errno));
  const WaitResult w = connect_socket(fd.get(), address, &waker, clock, until);
  switch (w.outcome) {
    case WaitOutcome::ready:
      return fd;
    case WaitOutcome::woken:
      return unexpected(std::string("connect: the proxy is stopping"));
    case WaitOutcome::timed_out:
      return unexpected(std::string("connect: timed out"));
    case WaitOutcome::failed:
      break;
  }
  return unexpected(errno_text("connect", w.error));
}

void TcpProxy::Connection::run() {
  const std::string name = "connection " + std::to_string(conversation_.index);
  const Duration until = link.clock.now() + proxy_.options_.connect_timeout;
  auto connected = connect_upstream(proxy_.options_, link.waker, link.clock, until);
  if (!connected) {
    if (!link.waker.pending()) {
      proxy_.count_upstream_failure();
      proxy_.log(name + " from " + link.client_ep.to_string() + ": upstream " +
                 proxy_.options_.upstream.to_string() + " unreachable: " + connected.error());
    }
    link.begin_closing();
    close_with_reset(link.client);
    done_.store(true);
    return;
  }
  link.set_upstream(std::move(*connected));
  const bool unix_socket = !proxy_.options_.unix_upstream.empty();
  link.upstream_ep =
      unix_socket ? proxy_.options_.upstream : socket_peer_endpoint(link.upstream.get());
  if (!unix_socket) {
    set_nodelay(link.client.get());
    set_nodelay(link.upstream.get());
  }
  link.tee_opened();
  auto log = [this](const std::string& line) { proxy_.log(line); };
  FaultPlan& plan = *conversation_.plan;
  std::thread s2c(
      [&] { TcpPump(link, Direction::server_to_client, plan, name + " s2c", log).run(); });
  TcpPump(link, Direction::client_to_server, plan, name + " c2s", log).run();
  s2c.join();
  // A cut (or the proxy's stop) ends the connection both ways; otherwise each side's end of stream
  // has been passed on already.
  link.tee_closed(Direction::server_to_client);
  link.tee_closed(Direction::client_to_server);
  link.begin_closing();
  if (link.is_cut() && link.cut_with_reset()) {
    close_with_reset(link.client);
    close_with_reset(link.upstream);
  } else {
    close_orderly(link.client);
    close_orderly(link.upstream);
  }
  done_.store(true);
}

void TcpProxy::accept_loop() {
  for (;;) {
    switch (wait_fd(listener_.get(), POLLIN, &stop_, clock_, std::nullopt).outcome) {
      case WaitOutcome::ready:
      case WaitOutcome::timed_out:
        break;
      case WaitOutcome::woken:
      case WaitOutcome::failed:  // the wait itself failed: end as on a stop rather than spin
        return;
    }
    SocketAddress address;
    address.length = sizeof address.storage;
    Fd fd(::accept4(listener_.get(), reinterpret_cast<sockaddr*>(&address.storage), &address.length,
                    SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) {
      // The client went away meanwhile, or descriptors ran out: then a pause, so that a
      // persistent shortage does not spin a CPU.
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        wait_wake(stop_, clock_, clock_.now() + std::chrono::milliseconds(50));
      }
      continue;
    }
    const Endpoint client = options_.unix_listen.empty()
                                ? to_endpoint(address)
                                : transport::internal::next_synthetic_client(options_.unix_protseq);
    bool made = true;
    {
      std::lock_guard lock(mu_);
      connections_.remove_if([](const Connection& c) { return c.done(); });
      if (connections_.size() >= kMaxConnections) {
        close_with_reset(fd);  // two threads each: the count of connections is bounded
        log("refused a connection from " + client.to_string() + ": " +
            std::to_string(kMaxConnections) + " connections are open");
        continue;
      }
      try {
        connections_.emplace_back(*this, std::move(fd), client, next_conversation());
      } catch (const std::system_error&) {
        // The connection's Waker (an eventfd) or thread could not be made: descriptors or threads
        // ran out. That ends this connection (its socket closes with the half-built Connection);
        // an exception leaving this thread would end the process.
        made = false;
      }
    }
    if (!made) wait_wake(stop_, clock_, clock_.now() + std::chrono::milliseconds(50));  // as above
  }
}

}  // namespace

namespace {

// A listening Unix stream socket at `path`, its file recorded for removal.
Result<std::pair<Fd, transport::internal::OwnedSocketFile>, std::string> unix_listener(
    const std::filesystem::path& path) {
  transport::internal::UnixEndpoint ep;
  ep.display = path.string();
  ep.path = path;
  if (auto cleared = transport::internal::clear_stale_socket(ep); !cleared) {
    return unexpected(cleared.error());
  }
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return unexpected(errno_text("socket", errno));
  auto file = transport::internal::bind_socket_file(fd.get(), ep);
  if (!file) return unexpected(file.error());
  if (::listen(fd.get(), SOMAXCONN) != 0) {
    const int err = errno;
    transport::internal::remove_socket_file(*file);
    return unexpected(errno_text("listen", err));
  }
  return std::make_pair(std::move(fd), std::move(*file));
}

}  // namespace

Result<std::unique_ptr<Proxy>, std::string> start_tcp(ProxyOptions options) {
  if (!options.unix_listen.empty()) {
    auto listener = unix_listener(options.unix_listen);
    if (!listener) {
      return unexpected("cannot listen on " + options.unix_listen.string() + ": " +
                        listener.error());
    }
    return std::unique_ptr<Proxy>(
        new TcpProxy(std::move(options), std::move(listener->first), std::move(listener->second)));
  }
  auto listener = bound_socket(options.listen, SOCK_STREAM);
  if (!listener)
    return unexpected("cannot listen on " + options.listen.to_string() + ": " + listener.error());
  return std::unique_ptr<Proxy>(new TcpProxy(std::move(options), std::move(*listener)));
}

}  // namespace rpcfit::fault::proxy_internal
