#include "drivers/runtime/client.h"

#include <algorithm>

#include "drivers/runtime/call_control.h"
#include "drivers/runtime/client_connection.h"
#include "drivers/runtime/dg_activity.h"
#include "drivers/runtime/dg_pdus.h"
#include "drivers/transport/datagram.h"
#include "drivers/transport/transport.h"
#include "harness/wire/codec.h"

namespace rpcfit::rpc {
namespace {

// C706: every implementation must accept fragments of at least this size.
constexpr std::uint16_t kMinFragment = 1432;

// Why a bind_nak refused us, as the status the call raises (decision, README).
RpcStatus status_from_bind_nak(std::uint16_t reason) {
  switch (reason) {
    case 1:  // temporary congestion
    case 2:  // local limit exceeded
      return status::kServerTooBusy;
    case 4:  // protocol version not supported
      return status::kProtocolError;
    default:
      return status::kUnknownIf;
  }
}

// A rejected presentation context in a bind_ack.
RpcStatus status_from_context_result(const wire::ContextResult& result) {
  return result.reason == 2 ? status::kUnsupportedTransSyn : status::kUnknownIf;
}

wire::CoPdu make_bind(const wire::SyntaxId& iface, std::uint16_t max_frag, std::uint32_t group) {
  wire::CoPdu pdu;
  pdu.type = wire::PType::bind;
  pdu.flags = wire::pfc::kFirstFrag | wire::pfc::kLastFrag;
  pdu.call_id = 1;
  wire::CoBind bind;
  bind.max_xmit_frag = max_frag;
  bind.max_recv_frag = max_frag;
  bind.assoc_group_id = group;
  bind.contexts.push_back({0, iface, {wire::ndr_syntax()}});
  pdu.body = bind;
  return pdu;
}

}  // namespace

Result<std::shared_ptr<Binding>, RpcStatus> Binding::from_string(Runtime& runtime,
                                                                 std::string_view text,
                                                                 BindingOptions options) {
  auto parsed = parse_string_binding(text);
  if (!parsed) return unexpected(parsed.error());
  if (parsed->endpoint.empty()) return unexpected(status::kInvalidBinding);
  return std::shared_ptr<Binding>(new Binding(runtime, std::move(*parsed), options));
}

Binding::Binding(Runtime& runtime, StringBinding target, BindingOptions options)
    : runtime_(runtime), target_(std::move(target)), options_(options) {}

Binding::~Binding() {
  for (auto& connection : idle_)
    connection->io->close();
  for (auto& activity : idle_activities_)
    activity->close();
}

std::size_t Binding::idle_connections() const {
  std::lock_guard lock(mu_);
  return idle_.size();
}

std::size_t Binding::connections_opened() const {
  std::lock_guard lock(mu_);
  return opened_;
}

std::uint32_t Binding::next_call_id() {
  std::lock_guard lock(mu_);
  auto id = next_call_id_++;
  if (next_call_id_ == 0) next_call_id_ = 1;
  return id;
}

std::unique_ptr<ClientConnection> Binding::acquire(const wire::SyntaxId& iface,
                                                   CallControl& control) {
  for (;;) {
    std::unique_ptr<ClientConnection> candidate;
    {
      std::lock_guard lock(mu_);
      auto it = std::find_if(idle_.rbegin(), idle_.rend(),
                             [&](const auto& c) { return c->iface == iface; });
      if (it == idle_.rend()) break;
      candidate = std::move(*it);
      idle_.erase(std::next(it).base());
    }
    // A server that closed or shut down an idle connection has left EOF or a PDU on it; such a
    // connection is not reused.
    Bytes unexpected_pdu;
    auto probe = candidate->io->try_receive(unexpected_pdu);
    if (probe.status == IoStatus::timed_out) return candidate;
    candidate->io->close();
  }
  return open_connection(iface, control);
}

// The setup deadline now, and whether a cancel posted during setup is what sets it.
std::pair<Deadline, bool> Binding::setup_limit(Duration limit, CallControl& control) const {
  std::lock_guard lock(control.mu);
  auto cancel = control.cancel.setup_deadline();
  if (cancel && *cancel < limit) return {cancel, true};
  return {limit, false};
}

std::unique_ptr<ClientConnection> Binding::open_connection(const wire::SyntaxId& iface,
                                                           CallControl& control) {
  auto& clock = runtime_.clock();
  const Duration limit = clock.now() + options_.setup_timeout;
  // A cancel with a finite timeout posted now ends the call at c + T with RPC_S_CALL_CANCELLED;
  // nothing has been sent, so there is nothing to orphan (decision, README).
  auto expired = [&](bool by_cancel, const std::string& what) {
    if (!by_cancel) return RpcException(status::kServerUnavailable, what);
    std::lock_guard lock(control.mu);
    control.cancel.expire_setup();
    return RpcException(status::kCallCancelled, "cancelled before the request was sent");
  };
  transport::TransportContext context{&clock, runtime_.options().capture,
                                      runtime_.options().run_dir};
  auto host = target_.network_address.empty() ? std::string("127.0.0.1") : target_.network_address;
  auto [connect_by, connect_by_cancel] = setup_limit(limit, control);
  auto io = transport::connect(target_.protseq, host, target_.endpoint, context, connect_by);
  if (!io) {
    if (io.error().status == IoStatus::timed_out) throw expired(connect_by_cancel, "connect");
    throw RpcException(status::kServerUnavailable, io.error().detail);
  }

  std::uint32_t group = 0;
  {
    std::lock_guard lock(mu_);
    group = assoc_group_id_;
    ++opened_;
  }
  auto connection = std::make_unique<ClientConnection>();
  connection->io = std::move(*io);
  if (runtime_.options().stream_decorator) {
    connection->io = runtime_.options().stream_decorator(std::move(connection->io), true);
  }
  connection->iface = iface;
  auto& conn = *connection->io;
  auto fail = [&](RpcStatus status, const std::string& detail) {
    conn.close();
    return RpcException(status, detail);
  };

  conn.queue(wire::encode(make_bind(iface, options_.max_frag, group)));
  Bytes reply;
  for (bool sent = false;;) {
    auto [by, by_cancel] = setup_limit(limit, control);
    auto got = sent ? conn.receive(reply, by, &control.waker) : conn.flush(by, &control.waker);
    if (got.ok() && !sent) {
      sent = true;
      continue;
    }
    if (got.ok()) break;
    if (got.status == IoStatus::woken) {
      control.waker.consume();  // a cancel was posted: its timeout may bound the setup now
      continue;
    }
    conn.close();
    if (got.status == IoStatus::timed_out) throw expired(by_cancel, sent ? "no bind_ack" : "bind");
    throw RpcException(
        status::kServerUnavailable,
        "bind: " + (got.status == IoStatus::closed ? "connection closed by server" : got.detail));
  }
  auto pdu = wire::decode_co(reply);
  if (!pdu) throw fail(status::kProtocolError, "bind reply: " + pdu.error().to_string());
  if (pdu->type == wire::PType::bind_nak) {
    const auto& nak = std::get<wire::CoBindNak>(pdu->body);
    throw fail(status_from_bind_nak(nak.reject_reason),
               "bind_nak reason " + std::to_string(nak.reject_reason));
  }
  if (pdu->type != wire::PType::bind_ack) {
    throw fail(status::kProtocolError,
               "bind answered with " + wire::ptype_name(static_cast<std::uint8_t>(pdu->type)));
  }
  const auto& ack = std::get<wire::CoBindAck>(pdu->body);
  if (ack.results.empty()) throw fail(status::kProtocolError, "bind_ack without results");
  if (ack.results[0].result != 0)
    throw fail(status_from_context_result(ack.results[0]), "presentation context rejected");
  if (ack.max_recv_frag < kMinFragment || ack.max_xmit_frag < kMinFragment) {
    throw fail(status::kProtocolError, "bind_ack fragment sizes below 1432");
  }
  connection->context_id = 0;
  connection->max_xmit = std::min(ack.max_recv_frag, options_.max_frag);
  {
    std::lock_guard lock(mu_);
    if (assoc_group_id_ == 0) assoc_group_id_ = ack.assoc_group_id;
  }
  return connection;
}

std::unique_ptr<DgActivity> Binding::acquire_activity() {
  {
    std::lock_guard lock(mu_);
    if (!idle_activities_.empty()) {
      auto activity = std::move(idle_activities_.back());
      idle_activities_.pop_back();
      return activity;
    }
  }
  const auto& options = runtime_.options();
  transport::DatagramContext context{{&runtime_.clock(), options.capture, options.run_dir},
                                     options.mq_backend};
  auto opened =
      transport::open_datagram(target_.protseq, target_.network_address, target_.endpoint, context);
  if (!opened) throw RpcException(status::kServerUnavailable, opened.error());
  auto activity = std::make_unique<DgActivity>();
  activity->socket = std::move(opened->socket);
  if (options.datagram_decorator) {
    activity->socket = options.datagram_decorator(std::move(activity->socket));
  }
  activity->server = std::move(opened->server);
  activity->id = runtime_.new_activity_uuid();
  {
    std::lock_guard lock(mu_);
    ++opened_;
  }
  return activity;
}

void Binding::release_activity(std::unique_ptr<DgActivity> activity) {
  std::lock_guard lock(mu_);
  if (idle_activities_.size() < options_.max_idle) {
    idle_activities_.push_back(std::move(activity));
  } else {
    activity->close();
  }
}

void Binding::release(std::unique_ptr<ClientConnection> connection) {
  std::lock_guard lock(mu_);
  if (idle_.size() < options_.max_idle) {
    idle_.push_back(std::move(connection));
  } else {
    connection->io->close();
  }
}

}  // namespace rpcfit::rpc
