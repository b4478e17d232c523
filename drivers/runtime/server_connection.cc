#include "drivers/runtime/server_connection.h"

#include <algorithm>

#include "harness/wire/codec.h"

namespace rpcfit::rpc {
namespace {

constexpr std::uint16_t kMinFragment = 1432;  // C706: every peer must receive this much

// Bind-time feature negotiation (MS-RPCE): a context whose transfer syntax UUID starts so.
bool is_feature_negotiation(const wire::SyntaxId& syntax) {
  return syntax.uuid.time_low == 0x6cb71c2c && syntax.uuid.time_mid == 0x9812 &&
         syntax.uuid.time_hi_and_version == 0x4540;
}

constexpr std::uint16_t kAcceptance = 0;
constexpr std::uint16_t kProviderRejection = 2;
constexpr std::uint16_t kNegotiateAck = 3;
constexpr std::uint16_t kAbstractSyntaxNotSupported = 1;
constexpr std::uint16_t kTransferSyntaxesNotSupported = 2;

constexpr std::size_t kMaxBacklog = 256;
constexpr int kMaxPdusPerTest = 64;

}  // namespace

ServerConnection::ServerConnection(std::shared_ptr<Server::Core> core,
                                   std::unique_ptr<StreamConnection> io, transport::Protseq protseq,
                                   std::string endpoint)
    : core_(std::move(core)),
      io_(std::move(io)),
      protseq_(protseq),
      endpoint_(std::move(endpoint)),
      reassembler_(core_->options.limits),
      max_xmit_(kMinFragment) {}

ServerConnection::~ServerConnection() = default;

void ServerConnection::interrupt() {
  std::lock_guard lock(io_mu_);
  if (!closed_) io_->interrupt();
}

void ServerConnection::abandon() {
  std::lock_guard lock(io_mu_);
  io_->detach_capture();
}

std::optional<wire::CoPdu> ServerConnection::next_pdu() {
  std::lock_guard lock(read_mu_);
  if (!backlog_.empty()) {
    auto pdu = std::move(backlog_.front());
    backlog_.pop_front();
    return pdu;
  }
  if (dead_) return std::nullopt;
  Bytes bytes;
  auto got = io_->receive(bytes, std::nullopt, &core_->stop_waker);
  if (!got.ok()) return std::nullopt;  // closed, failed, or the server is stopping
  auto pdu = wire::decode_co(bytes);
  if (!pdu) return std::nullopt;  // CS-NEV-3: a malformed PDU ends this connection only
  return std::move(*pdu);
}

void ServerConnection::run() {
  while (auto pdu = next_pdu()) {
    auto type = pdu->type;
    if (type == wire::PType::bind || type == wire::PType::alter_context) {
      handle_bind(*pdu);
    } else if (type == wire::PType::request) {
      handle_request(*pdu);
    } else if (core_->options.cancel_deaf) {
      // co_cancel and orphaned go unheard, as in Windows and Samba servers (spec section 9).
    } else if (type == wire::PType::co_cancel) {
      // For a call still arriving it is remembered; for an unknown call ignored (CS-SRV-6).
      if (auto it = early_.find(pdu->call_id); it != early_.end()) ++it->second.co_cancels;
    } else if (type == wire::PType::orphaned) {
      reassembler_.discard(pdu->call_id);
      early_.erase(pdu->call_id);
    }
    // Anything else is nothing a server answers.
    if (core_->stopping) break;
  }
  std::lock_guard lock(io_mu_);
  closed_ = true;
  io_->close();
}

void ServerConnection::handle_bind(const wire::CoPdu& pdu) {
  const auto& bind = std::get<wire::CoBind>(pdu.body);
  wire::CoBindAck ack;
  bool any_accepted = false;
  for (const auto& context : bind.contexts) {
    wire::ContextResult result;
    bool negotiation = std::any_of(context.transfer_syntaxes.begin(),
                                   context.transfer_syntaxes.end(), is_feature_negotiation);
    auto registration = core_->find_interface(context.abstract_syntax);
    bool ndr = std::find(context.transfer_syntaxes.begin(), context.transfer_syntaxes.end(),
                         wire::ndr_syntax()) != context.transfer_syntaxes.end();
    if (negotiation) {
      result.result = kNegotiateAck;  // and no features: the connection closes on orphaned
    } else if (!registration) {
      result.result = kProviderRejection;
      result.reason = kAbstractSyntaxNotSupported;
    } else if (!ndr) {
      result.result = kProviderRejection;
      result.reason = kTransferSyntaxesNotSupported;
    } else {
      result.result = kAcceptance;
      result.transfer_syntax = wire::ndr_syntax();
      contexts_[context.context_id] = registration;
      any_accepted = true;
    }
    ack.results.push_back(result);
  }

  wire::CoPdu reply;
  reply.flags = wire::pfc::kFirstFrag | wire::pfc::kLastFrag;
  reply.call_id = pdu.call_id;
  if (pdu.type == wire::PType::bind && !any_accepted) {
    reply.type = wire::PType::bind_nak;
    wire::CoBindNak nak;
    nak.reject_reason = 0;  // reason not specified: no context could be accepted
    nak.versions = {{5, 0}};
    reply.body = nak;
    send(reply);
    return;
  }
  if (pdu.type == wire::PType::bind) {
    auto limit = core_->options.max_frag;
    max_xmit_ = std::max(kMinFragment, std::min(bind.max_recv_frag, limit));
    ack.max_xmit_frag = max_xmit_;
    max_recv_ = std::max(kMinFragment, std::min(bind.max_xmit_frag, limit));
    ack.max_recv_frag = max_recv_;
    ack.assoc_group_id = bind.assoc_group_id != 0 ? bind.assoc_group_id : core_->new_group_id();
    switch (protseq_) {
      case transport::Protseq::ncacn_ip_tcp:
      case transport::Protseq::ncacn_http:
      case transport::Protseq::ncalrpc:
      case transport::Protseq::ncadg_ip_udp:  // not served by a ServerConnection
      case transport::Protseq::ncadg_mq:
        ack.secondary_address = endpoint_;
        break;
      case transport::Protseq::ncacn_np:
        ack.secondary_address = endpoint_.rfind("\\", 0) == 0 ? endpoint_ : "\\PIPE\\" + endpoint_;
        break;
    }
    ack.secondary_address_nul = true;
    reply.type = wire::PType::bind_ack;
  } else {
    ack.max_xmit_frag = max_xmit_;
    ack.max_recv_frag = max_recv_;
    ack.assoc_group_id = bind.assoc_group_id;
    reply.type = wire::PType::alter_context_resp;
  }
  reply.body = ack;
  send(reply);
}

void ServerConnection::handle_request(const wire::CoPdu& fragment) {
  const bool first = (fragment.flags & wire::pfc::kFirstFrag) != 0;
  if (first && (fragment.flags & wire::pfc::kPendingCancel) != 0 && core_->options.cancel_deaf) {
    // Windows and Samba: "no call active", the call did not execute, and the connection goes.
    send_fault(fragment.call_id, nca::kNoCallActive, wire::pfc::kDidNotExecute, 0);
    std::lock_guard lock(read_mu_);
    dead_ = true;
    return;
  }
  if (first) {
    early_[fragment.call_id] =
        Early{(fragment.flags & wire::pfc::kPendingCancel) != 0, 0};  // CS-PEND-1 on the server
  }
  auto whole = reassembler_.add(fragment);
  if (!whole) {
    early_.erase(fragment.call_id);
    reassembler_.discard(fragment.call_id);
    send_fault(fragment.call_id, nca::kProtoError, wire::pfc::kDidNotExecute, 0);
    return;
  }
  if (whole->has_value()) execute(**whole);
}

void ServerConnection::execute(const wire::CoPdu& pdu) {
  const auto& request = std::get<wire::CoRequest>(pdu.body);
  Early early;
  if (auto it = early_.find(pdu.call_id); it != early_.end()) {
    early = it->second;
    early_.erase(it);
  }
  auto context = contexts_.find(request.context_id);
  if (context == contexts_.end()) {
    send_fault(pdu.call_id, nca::kUnknownInterface, wire::pfc::kDidNotExecute, 0, request.opnum);
    return;
  }
  auto routine = context->second->routines.find(request.opnum);
  if (routine == context->second->routines.end()) {
    send_fault(pdu.call_id, nca::kOpRangeError, wire::pfc::kDidNotExecute, 0, request.opnum);
    return;
  }

  ServerCall call(shared_from_this(), pdu.call_id, request.opnum, early.pending_on_first);
  for (int i = 0; i < early.co_cancels; ++i)
    call.note_cancel(false);
  auto [output, fault, crash_after] = run_manager_routine(
      *core_, routine->second, call, request.stub, early.pending_on_first || early.co_cancels > 0);

  // Count what arrived while the routine ran and did not ask (CS-SRV-4).
  read_during_call(call, std::nullopt);
  auto state = call.snapshot();
  call.end();
  if (state.orphaned()) {  // CS-SRV-5, CS-STUB-1
    core_->emit(ServerEventKind::result_discarded, pdu.call_id, request.opnum);
    return;
  }
  auto cancel_count = static_cast<std::uint8_t>(std::min(state.cancel_count, 255));
  std::uint8_t flags = state.cancelled() && !state.observed() ? wire::pfc::kPendingCancel : 0;
  if (fault) {
    send_fault(pdu.call_id, *fault, flags, cancel_count, request.opnum);
    return;
  }
  auto reply =
      make_response(pdu.call_id, request.context_id, std::move(output), flags, cancel_count);
  if (crash_after) {
    crash(reply, *crash_after);
    core_->emit(ServerEventKind::result_discarded, pdu.call_id, request.opnum);
    return;
  }
  send(reply);
  core_->emit(ServerEventKind::response_sent, pdu.call_id, request.opnum);
}

wire::CoPdu ServerConnection::make_response(std::uint32_t call_id, std::uint16_t context_id,
                                            Bytes output, std::uint8_t flags,
                                            std::uint8_t cancel_count) const {
  wire::CoPdu reply;
  reply.type = wire::PType::response;
  reply.flags = static_cast<std::uint8_t>(wire::pfc::kFirstFrag | wire::pfc::kLastFrag | flags);
  reply.call_id = call_id;
  wire::CoResponse response;
  response.context_id = context_id;
  response.cancel_count = cancel_count;
  response.stub = std::move(output);
  reply.body = std::move(response);
  return reply;
}

void ServerConnection::crash(const wire::CoPdu& reply, std::size_t after_bytes) {
  Bytes stream;
  if (auto fragments = wire::fragment_co(reply, max_xmit_)) {
    for (const auto& fragment : *fragments) {
      auto bytes = wire::encode(fragment);
      stream.insert(stream.end(), bytes.begin(), bytes.end());
    }
  }
  stream.resize(std::min(stream.size(), after_bytes));
  if (!stream.empty()) {
    io_->queue(std::move(stream));  // teed as written: the capture shows the cut-off reply
    io_->flush(std::nullopt, &core_->stop_waker);
  }
  std::lock_guard lock(read_mu_);
  dead_ = true;  // the connection closes as run() ends
}

void ServerConnection::send_fault(std::uint32_t call_id, std::uint32_t status, std::uint8_t flags,
                                  std::uint8_t cancel_count, std::uint16_t opnum) {
  wire::CoPdu reply;
  reply.type = wire::PType::fault;
  reply.flags = static_cast<std::uint8_t>(wire::pfc::kFirstFrag | wire::pfc::kLastFrag | flags);
  reply.call_id = call_id;
  wire::CoFault fault;
  fault.cancel_count = cancel_count;
  fault.status = status;
  reply.body = fault;
  send(reply);
  core_->emit(ServerEventKind::fault_sent, call_id, opnum, status);
}

void ServerConnection::send(const wire::CoPdu& whole) {
  if (whole.type == wire::PType::response) {
    auto fragments = wire::fragment_co(whole, max_xmit_);
    if (!fragments) return;
    for (const auto& fragment : *fragments)
      io_->queue(wire::encode(fragment));
  } else {
    io_->queue(wire::encode(whole));
  }
  // A client that stops reading holds this thread only until the server stops.
  auto sent = io_->flush(std::nullopt, &core_->stop_waker);
  if (!sent.ok()) {
    std::lock_guard lock(read_mu_);
    dead_ = true;
  }
}

void ServerConnection::read_during_call(ServerCall& call, const std::optional<Deadline>& wait) {
  std::vector<ServerEventKind> found;
  {
    std::unique_lock lock(read_mu_, std::defer_lock);
    if (wait) {
      lock.lock();
    } else if (!lock.try_lock()) {
      return;  // another thread is reading for this call and will file what arrives
    }
    read_locked(call, wait);
    found.swap(found_);
  }
  for (auto kind : found)
    core_->emit(kind, call.call_id(), call.opnum());
}

void ServerConnection::read_locked(ServerCall& call, const std::optional<Deadline>& wait) {
  // Without a wait, a bounded number of PDUs: a peer streaming co_cancels must not keep
  // RpcTestCancel from returning.
  for (int budget = kMaxPdusPerTest; wait || budget > 0; --budget) {
    if (dead_) {
      call.note_connection_lost();
      return;
    }
    if (wait && call.snapshot().cancelled()) return;
    Bytes bytes;
    auto got = wait ? io_->receive(bytes, *wait, &core_->stop_waker) : io_->try_receive(bytes);
    switch (got.status) {
      case IoStatus::ok:
        if (!route_during_call(bytes, call)) dead_ = true;
        break;
      case IoStatus::woken:
      case IoStatus::timed_out:
        return;
      case IoStatus::closed:
      case IoStatus::failed:
      case IoStatus::malformed:
        dead_ = true;
        break;
    }
  }
}

bool ServerConnection::route_during_call(const Bytes& bytes, ServerCall& call) {
  auto pdu = wire::decode_co(bytes);
  if (!pdu) return false;
  bool ours = pdu->call_id == call.call_id();
  if (pdu->type == wire::PType::co_cancel || pdu->type == wire::PType::orphaned) {
    bool orphaned = pdu->type == wire::PType::orphaned;
    if (ours && !core_->options.cancel_deaf) {  // for another call: ignored (CS-SRV-6)
      call.note_cancel(orphaned);
      found_.push_back(orphaned ? ServerEventKind::orphaned_arrived
                                : ServerEventKind::cancel_arrived);
    }
    return true;
  }
  // Handled after the call, in order; a peer that floods a busy call loses the connection.
  if (backlog_.size() >= kMaxBacklog) return false;
  backlog_.push_back(std::move(*pdu));
  return true;
}

}  // namespace rpcfit::rpc
