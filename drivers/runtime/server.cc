#include "drivers/runtime/server.h"

#include <algorithm>

#include "drivers/runtime/dg_server.h"
#include "drivers/runtime/server_connection.h"
#include "drivers/transport/datagram.h"
#include "drivers/transport/transport.h"

namespace rpcfit::rpc {

std::string_view server_event_name(ServerEventKind kind) {
  switch (kind) {
    case ServerEventKind::call_started:
      return "call_started";
    case ServerEventKind::cancel_arrived:
      return "cancel_arrived";
    case ServerEventKind::orphaned_arrived:
      return "orphaned_arrived";
    case ServerEventKind::call_finished:
      return "call_finished";
    case ServerEventKind::response_sent:
      return "response_sent";
    case ServerEventKind::fault_sent:
      return "fault_sent";
    case ServerEventKind::result_discarded:
      return "result_discarded";
  }
  return "?";
}

void Server::Core::emit(ServerEventKind kind, std::uint32_t call_id, std::uint16_t opnum,
                        std::uint32_t fault_status) const {
  if (!options.observer) return;
  {
    std::lock_guard lock(mu);
    if (abandoned) return;  // the observer may be gone with whoever stopped the server
    ++observing;
  }
  options.observer(ServerEvent{kind, clock().now(), call_id, opnum, fault_status});
  std::lock_guard lock(mu);
  if (--observing == 0) cv.notify_all();
}

std::shared_ptr<const InterfaceRegistration> Server::Core::find_interface(
    const wire::SyntaxId& id) const {
  auto major = id.version & 0xFFFFu;
  auto minor = id.version >> 16;
  std::lock_guard lock(mu);
  for (const auto& registration : interfaces) {
    const auto& have = registration->id;
    if (have.uuid == id.uuid && (have.version & 0xFFFFu) == major &&
        (have.version >> 16) >= minor) {
      return registration;
    }
  }
  return nullptr;
}

std::uint32_t Server::Core::new_group_id() {
  std::lock_guard lock(mu);
  return next_group_id++;
}

void Server::Core::reap_finished() {
  for (auto it = workers.begin(); it != workers.end();) {
    if (*it->done) {
      it->thread.join();
      it = workers.erase(it);
    } else {
      ++it;
    }
  }
}

bool Server::Core::spawn(std::shared_ptr<ServerWorker> worker, std::function<void()> body) {
  std::lock_guard lock(mu);
  reap_finished();
  if (stopping) return false;
  auto running = static_cast<std::size_t>(
      std::count_if(workers.begin(), workers.end(), [](const auto& r) { return !*r.done; }));
  if (running >= options.max_connections) return false;  // CS-NEV-3: threads are not unbounded
  auto core = shared_from_this();                        // the thread keeps the Core alive
  auto done = std::make_shared<bool>(false);
  std::thread thread;
  try {
    thread = std::thread([core, body = std::move(body), done] {
      body();
      std::lock_guard done_lock(core->mu);
      *done = true;
      core->cv.notify_all();
    });
  } catch (const std::system_error&) {
    return false;
  }
  workers.push_back(Running{std::move(worker), std::move(thread), done});
  return true;
}

void Server::Core::start_connection(std::unique_ptr<StreamConnection> io,
                                    transport::Protseq protseq, const std::string& endpoint) {
  if (runtime_options.stream_decorator) io = runtime_options.stream_decorator(std::move(io), false);
  auto connection =
      std::make_shared<ServerConnection>(shared_from_this(), std::move(io), protseq, endpoint);
  // Refused: closed at once, and with the connection object if its thread could not start.
  if (!spawn(connection, [connection] { connection->run(); })) connection->interrupt();
}

void Server::Core::accept_loop(Listening& listening) {
  auto endpoint = listening.listener->endpoint();
  while (!stopping) {
    IoResult result;
    // Wakes now and then to join finished connection threads even when no client connects.
    auto io = listening.listener->accept(clock().now() + seconds(2), &stop_waker, result);
    if (io) {
      start_connection(std::move(io), listening.protseq, endpoint);
      continue;
    }
    if (result.status == IoStatus::woken) break;
    if (result.status == IoStatus::timed_out) {
      std::lock_guard lock(mu);
      reap_finished();
      continue;
    }
    // A failed accept (descriptor limit, aborted handshake) is retried after a pause, so a
    // persistent failure does not spin a CPU.
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::milliseconds(50), [this] { return stopping.load(); });
  }
}

Server::Server(Runtime& runtime, ServerOptions options)
    : core_(std::make_shared<Core>(runtime, std::move(options))) {}

Server::~Server() {
  stop(seconds(5));
}

void Server::register_interface(InterfaceRegistration registration) {
  auto entry = std::make_shared<const InterfaceRegistration>(std::move(registration));
  std::lock_guard lock(core_->mu);
  auto& list = core_->interfaces;
  list.erase(
      std::remove_if(list.begin(), list.end(), [&](const auto& r) { return r->id == entry->id; }),
      list.end());
  list.push_back(std::move(entry));
}

Result<std::string, std::string> Server::listen(transport::Protseq protseq,
                                                const std::string& endpoint,
                                                const std::string& host) {
  if (core_->stopping) return unexpected(std::string("server is stopped"));
  if (transport::is_datagram(protseq)) return listen_datagram(protseq, endpoint, host);
  const auto& options = core_->runtime_options;
  transport::TransportContext context{&core_->clock(), options.capture, options.run_dir,
                                      core_->options.max_frag};
  auto listener = transport::listen(protseq, host, endpoint, context);
  if (!listener) return unexpected(listener.error());
  auto listening = std::make_unique<Core::Listening>();
  listening->listener = std::move(*listener);
  listening->protseq = protseq;
  auto name = listening->listener->endpoint();
  auto* raw = listening.get();
  std::lock_guard lock(core_->mu);
  if (core_->stopping) {  // stop() ran meanwhile and will not see this listener
    listening->listener->close();
    return unexpected(std::string("server is stopped"));
  }
  core_->listeners.push_back(std::move(listening));
  raw->thread = std::thread([core = core_, raw] { core->accept_loop(*raw); });
  return name;
}

Result<std::string, std::string> Server::listen_datagram(transport::Protseq protseq,
                                                         const std::string& endpoint,
                                                         const std::string& host) {
  const auto& options = core_->runtime_options;
  transport::DatagramContext context{{&core_->clock(), options.capture, options.run_dir},
                                     options.mq_backend};
  auto socket = transport::bind_datagram(protseq, host, endpoint, context);
  if (!socket) return unexpected(socket.error());
  if (options.datagram_decorator) *socket = options.datagram_decorator(std::move(*socket));
  auto dg = std::make_shared<DgEndpoint>(core_, std::move(*socket), protseq);
  auto name = dg->endpoint();
  // Refused when stop() runs meanwhile, or no thread may start (max_connections).
  if (!dg->start()) return unexpected(std::string("server is stopped or at its thread limit"));
  std::lock_guard lock(core_->mu);
  core_->datagram_endpoints.push_back(std::move(dg));
  return name;
}

std::size_t Server::stop(Duration bound) {
  auto& core = *core_;
  if (core.stopping.exchange(true)) return 0;
  core.stop_waker.wake();
  std::vector<std::unique_ptr<Core::Listening>> listeners;
  std::vector<std::shared_ptr<DgEndpoint>> datagram_endpoints;
  {
    std::lock_guard lock(core.mu);
    listeners.swap(core.listeners);
    datagram_endpoints.swap(core.datagram_endpoints);
    core.cv.notify_all();
  }
  for (auto& listening : listeners) {
    if (listening->thread.joinable()) listening->thread.join();
    listening->listener->close();
  }
  // A datagram endpoint's threads are workers; its socket closes when the last of them ends.
  std::unique_lock lock(core.mu);
  for (auto& running : core.workers)
    running.worker->interrupt();
  auto until = core.clock().to_steady(core.clock().now() + bound);
  core.cv.wait_until(lock, until, [&] {
    return std::all_of(core.workers.begin(), core.workers.end(),
                       [](const auto& r) { return *r.done; });
  });
  std::size_t abandoned = 0;
  for (auto& running : core.workers) {
    if (*running.done) {
      running.thread.join();
    } else {
      // It holds the Core and its connection or endpoint by shared_ptr; its PDUs are no longer
      // teed and no events reported, since the sink and observer may go once stop() returns.
      running.worker->abandon();
      running.thread.detach();
      ++abandoned;
    }
  }
  core.abandoned = abandoned > 0;
  core.workers.clear();
  // An abandoned routine may be reporting an event it began before: the caller may destroy the
  // observer once stop() returns.
  core.cv.wait(lock, [&] { return core.observing == 0; });
  return abandoned;
}

std::size_t Server::open_connections() const {
  std::lock_guard lock(core_->mu);
  return static_cast<std::size_t>(std::count_if(core_->workers.begin(), core_->workers.end(),
                                                [](const auto& r) { return !*r.done; }));
}

}  // namespace rpcfit::rpc
