// The TCP proxy: an accepting thread, and per connection a thread that connects upstream and then
// runs the c2s pump while a second thread runs the s2c pump (tcp_pump.h).
#include <sys/socket.h>

#include <cerrno>

#include <list>
#include <thread>

#include "drivers/fault/proxy/proxy_internal.h"
#include "drivers/fault/proxy/proxy_socket.h"
#include "drivers/fault/proxy/tcp_pump.h"

namespace rpcfit::fault::proxy_internal {
namespace {

// Connections open at once; more are reset as they are accepted.
constexpr std::size_t kMaxConnections = 256;

class TcpProxy final : public Proxy {
 public:
  TcpProxy(ProxyOptions options, Fd listener)
      : Proxy(std::move(options)),
        listener_(std::move(listener)),
        listening_(local_endpoint(listener_.get())) {
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~TcpProxy() override { stop(); }

  Endpoint listening() const override { return listening_; }

  void stop() override {
    std::lock_guard stop_lock(stop_mu_);
    stop_.set();
    if (acceptor_.joinable()) acceptor_.join();
    std::list<Connection> ending;
    {
      std::lock_guard lock(mu_);
      ending.splice(ending.end(), connections_);
    }
    for (auto& c : ending)
      c.link.latch.set();
    ending.clear();  // joins
    listener_.reset();
  }

 private:
  class Connection {
   public:
    Connection(TcpProxy& proxy, Fd client, Endpoint client_ep, Conversation conversation)
        : link(std::move(client), client_ep, proxy.clock_, proxy.options_.capture),
          proxy_(proxy),
          conversation_(std::move(conversation)),
          thread_([this] { run(); }) {}
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
  Latch stop_;
  std::mutex stop_mu_;
  std::thread acceptor_;
  std::mutex mu_;
  std::list<Connection> connections_;  // guarded by mu_
};

void TcpProxy::Connection::run() {
  const std::string name = "connection " + std::to_string(conversation_.index);
  const Duration until = link.clock.now() + proxy_.options_.connect_timeout;
  auto connected = connect_tcp(proxy_.options_.upstream, link.latch, link.clock, until);
  if (!connected) {
    if (!link.latch.is_set()) {
      proxy_.count_upstream_failure();
      proxy_.log(name + " from " + link.client_ep.to_string() + ": upstream " +
                 proxy_.options_.upstream.to_string() + " unreachable: " + connected.error());
    }
    close_with_reset(link.client);
    done_.store(true);
    return;
  }
  link.upstream = std::move(*connected);
  link.upstream_ep = peer_endpoint(link.upstream.get());
  set_nodelay(link.client.get());
  set_nodelay(link.upstream.get());
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
    switch (wait_fd(listener_.get(), POLLIN, stop_, clock_, std::nullopt)) {
      case WaitOutcome::ready:
      case WaitOutcome::timed_out:
        break;
      case WaitOutcome::woken:
        return;
    }
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    const int fd = ::accept4(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      // The client went away meanwhile, or descriptors ran out: then a pause, so that a
      // persistent shortage does not spin a CPU.
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        wait_fd(-1, POLLIN, stop_, clock_, clock_.now() + std::chrono::milliseconds(50));
      }
      continue;
    }
    std::lock_guard lock(mu_);
    connections_.remove_if([](const Connection& c) { return c.done(); });
    if (connections_.size() >= kMaxConnections) {
      Fd refused(fd);
      close_with_reset(refused);  // two threads each: the count of connections is bounded
      log("refused a connection from " + from_sockaddr(address).to_string() + ": " +
          std::to_string(kMaxConnections) + " connections are open");
      continue;
    }
    connections_.emplace_back(*this, Fd(fd), from_sockaddr(address), next_conversation());
  }
}

}  // namespace

Result<std::unique_ptr<Proxy>, std::string> start_tcp(ProxyOptions options) {
  auto listener = bound_socket(options.listen, false);
  if (!listener)
    return unexpected("cannot listen on " + options.listen.to_string() + ": " + listener.error());
  return std::unique_ptr<Proxy>(new TcpProxy(std::move(options), std::move(*listener)));
}

}  // namespace rpcfit::fault::proxy_internal
