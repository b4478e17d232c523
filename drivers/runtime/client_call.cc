// Binding::call: one synchronous call on one connection, with the cancel behaviour of spec
// section 4. The calling thread does the call's I/O. A cancelling thread posts to the call's
// CallCancel and sends the co_cancel itself when the connection's send side is free
// (forward_cancel_now); otherwise, and to arm a finite timeout, it wakes the calling thread, which
// sends co_cancel and orphaned and keeps the timer.
#include <optional>

#include "drivers/runtime/call_control.h"
#include "drivers/runtime/client.h"
#include "drivers/runtime/client_connection.h"
#include "harness/wire/codec.h"
#include "harness/wire/fragment.h"

namespace rpcfit::rpc {

class ClientCall {
 public:
  ClientCall(Binding& binding, CallControl& control) : binding_(binding), control_(control) {}
  // Whatever ends the call (a reply, an RpcException, bad_alloc), cancelling threads lose sight
  // of its connection before the connection goes.
  ~ClientCall() { detach(); }
  ClientCall(const ClientCall&) = delete;
  ClientCall& operator=(const ClientCall&) = delete;

  // Returns the result stub, or raises. Sets leave_pending when a cancel must stay pending on the
  // thread (CS-RES-3).
  Bytes run(const wire::SyntaxId& iface, std::uint16_t opnum, ByteView input, bool& leave_pending);

 private:
  void send_request(std::uint16_t opnum, ByteView input);
  // The result when the PDU completes the call; nullopt to keep waiting.
  std::optional<Bytes> on_pdu(const Bytes& bytes, bool& leave_pending);
  [[noreturn]] void orphan(int forwards);
  [[noreturn]] void connection_failed(const IoResult& result);
  [[noreturn]] void protocol_error(const std::string& detail);
  void drop_connection();
  // Takes the connection away from cancelling threads before it is released or dropped.
  void detach();
  Clock& clock() const { return binding_.runtime().clock(); }

  Binding& binding_;
  CallControl& control_;
  std::unique_ptr<ClientConnection> conn_;
  std::uint32_t call_id_ = 0;
  std::size_t written_at_start_ = 0;  // a reused connection has carried earlier calls
  wire::CoCallReassembler reassembler_;
};

namespace {

// co_cancel and orphaned: the 16-byte header alone, flags as Windows clients send them.
Bytes header_only(wire::PType type, std::uint32_t call_id) {
  wire::CoPdu pdu;
  pdu.type = type;
  pdu.flags = type == wire::PType::co_cancel ? wire::pfc::kLastFrag | wire::pfc::kPendingCancel
                                             : wire::pfc::kFirstFrag | wire::pfc::kLastFrag;
  pdu.call_id = call_id;
  pdu.body = wire::CoOpaque{};
  return wire::encode(pdu);
}

}  // namespace

bool forward_cancel_now(CallControl& call, Duration now) {
  if (call.io == nullptr || call.cancel.phase() != CancelPhase::sent) return true;
  if (call.cancel.due(now)) return true;  // the call thread drains, then forwards and orphans
  std::unique_lock send(call.send_mu, std::try_to_lock);
  if (!send.owns_lock()) return true;  // the call thread is sending; it will forward them
  for (int n = call.cancel.take_forwards(); n > 0; --n)
    call.io->queue(call.co_cancel);  // CS-FWD-1
  // Scenario time zero has passed: one attempt that never waits; the call thread sends the rest.
  auto sent = call.io->flush(Duration::zero(), nullptr);
  return !sent.ok() || call.cancel.deadline().has_value();
}

bool post_cancel_locked(CallControl& call, Duration now, long timeout, bool& wake) {
  wake = false;
  if (!call.cancel.post(now, timeout)) return false;
  if (forward_cancel_now(call, now)) {
    call.woken = true;
    wake = true;
  }
  return true;
}

void ClientCall::send_request(std::uint16_t opnum, ByteView input) {
  wire::CoPdu whole;
  whole.type = wire::PType::request;
  whole.flags = wire::pfc::kFirstFrag | wire::pfc::kLastFrag;
  whole.call_id = call_id_;
  wire::CoRequest request;
  request.context_id = conn_->context_id;
  request.opnum = opnum;
  if (const auto& object = binding_.string_binding().object_uuid) {
    request.object = wire::Uuid::parse(*object);  // checked when the binding was parsed
    whole.flags |= wire::pfc::kObjectUuid;
  }
  request.stub.assign(input.begin(), input.end());
  whole.body = std::move(request);
  auto fragments = wire::fragment_co(whole, conn_->max_xmit);
  if (!fragments) protocol_error(fragments.error().to_string());
  // The request is queued before a cancelling thread can see the connection, so a co_cancel
  // always follows it on the wire.
  std::lock_guard send(control_.send_mu);
  {
    std::lock_guard lock(control_.mu);
    if (control_.cancel.first_fragment(clock().now())) {
      fragments->front().flags |= wire::pfc::kPendingCancel;  // CS-PEND-1
    }
    control_.io = conn_->io.get();
    control_.co_cancel = header_only(wire::PType::co_cancel, call_id_);
  }
  for (const auto& fragment : *fragments)
    conn_->io->queue(wire::encode(fragment));
}

Bytes ClientCall::run(const wire::SyntaxId& iface, std::uint16_t opnum, ByteView input,
                      bool& leave_pending) {
  conn_ = binding_.acquire(iface, control_);
  call_id_ = binding_.next_call_id();
  written_at_start_ = conn_->io->bytes_written();
  send_request(opnum, input);
  for (;;) {
    int forwards = 0;
    bool due = false;
    Deadline deadline;
    {
      std::lock_guard lock(control_.mu);
      forwards = control_.cancel.take_forwards();
      due = control_.cancel.due(clock().now());
      deadline = control_.cancel.deadline();
    }
    if (due) {
      // A reply that arrived before the deadline wins over it (CS-TMO-1). The co_cancel PDUs of a
      // cancel due at once (T = 0) are still owed here (forward_cancel_now), so what is read now
      // cannot be the server's answer to them.
      for (Bytes early; conn_->io->try_receive(early).ok();) {
        if (auto result = on_pdu(early, leave_pending)) return std::move(*result);
      }
      orphan(forwards);  // CS-TMO-2, CS-TMO-3
    }
    IoResult sent;
    {
      std::lock_guard send(control_.send_mu);
      for (int i = 0; i < forwards; ++i)
        conn_->io->queue(control_.co_cancel);  // CS-FWD-1
      sent = conn_->io->flush(deadline, &control_.waker);
    }
    if (sent.status == IoStatus::ok) {
      Bytes pdu;
      sent = conn_->io->receive(pdu, deadline, &control_.waker);
      if (sent.ok()) {
        if (auto result = on_pdu(pdu, leave_pending)) return std::move(*result);
        continue;
      }
    }
    switch (sent.status) {
      case IoStatus::ok:
      case IoStatus::timed_out:  // the loop head sees the deadline
        break;
      case IoStatus::woken:
        control_.waker.consume();
        break;
      case IoStatus::closed:
      case IoStatus::failed:
        connection_failed(sent);
      case IoStatus::malformed:
        protocol_error(sent.detail);
    }
  }
}

std::optional<Bytes> ClientCall::on_pdu(const Bytes& bytes, bool& leave_pending) {
  auto decoded = wire::decode_co(bytes);
  if (!decoded) protocol_error(decoded.error().to_string());
  if (decoded->call_id != call_id_) return std::nullopt;  // a stray reply to an earlier call
  if (decoded->type == wire::PType::response) {
    auto whole = reassembler_.add(*decoded);
    if (!whole) protocol_error(whole.error().to_string());
    if (!whole->has_value()) return std::nullopt;
    auto& response = std::get<wire::CoResponse>((*whole)->body);
    {
      std::lock_guard lock(control_.mu);
      // CS-RES-2 with CS-RES-3: results are returned; a cancel the server did not see stays
      // pending on the thread (Runtime::end_call also keeps one posted too late to be sent).
      leave_pending = control_.cancel.server_missed(
          ((*whole)->flags & wire::pfc::kPendingCancel) != 0, response.cancel_count);
    }
    detach();
    binding_.release(std::move(conn_));
    return std::move(response.stub);
  }
  if (decoded->type == wire::PType::fault) {
    auto status = status_from_fault(std::get<wire::CoFault>(decoded->body).status);
    detach();
    binding_.release(std::move(conn_));
    throw RpcException(status, "fault from server");  // CS-RES-1, CS-SRV-7
  }
  // The server asks us to close when idle; this call goes on.
  if (decoded->type == wire::PType::shutdown) return std::nullopt;
  protocol_error("unexpected " + wire::ptype_name(static_cast<std::uint8_t>(decoded->type)) +
                 " during a call");
}

void ClientCall::detach() {
  std::lock_guard lock(control_.mu);
  control_.io = nullptr;
}

void ClientCall::drop_connection() {
  detach();
  if (conn_) conn_->io->close();
  conn_.reset();
}

void ClientCall::orphan(int forwards) {
  {
    std::lock_guard lock(control_.mu);
    control_.cancel.orphan();
    control_.io = nullptr;
  }
  for (int i = 0; i < forwards; ++i)
    conn_->io->queue(control_.co_cancel);
  conn_->io->queue(header_only(wire::PType::orphaned, call_id_));
  // Best effort and without waiting: a server that stopped reading must not hold the caller
  // past its timeout (CS-NEV-1).
  conn_->io->flush(Duration::zero(), nullptr);
  drop_connection();
  throw RpcException(status::kCallCancelled, "cancel timeout expired; call orphaned");
}

void ClientCall::connection_failed(const IoResult& result) {
  bool told = false;
  {
    std::lock_guard lock(control_.mu);
    told = control_.cancel.told_server();
  }
  auto written = conn_->io->bytes_written() - written_at_start_;
  drop_connection();
  if (told)
    throw RpcException(status::kCallCancelled, "connection lost after cancel");  // CS-CONN-2
  auto detail = result.status == IoStatus::closed ? std::string("connection closed by server")
                                                  : result.detail;
  // CS-CONN-1: DNE only where not one byte of the request left.
  throw RpcException(written == 0 ? status::kCallFailedDne : status::kCallFailed, detail);
}

void ClientCall::protocol_error(const std::string& detail) {
  bool told = false;
  {
    std::lock_guard lock(control_.mu);
    told = control_.cancel.told_server();
  }
  drop_connection();
  if (told) throw RpcException(status::kCallCancelled, "connection lost after cancel: " + detail);
  throw RpcException(status::kProtocolError, detail);
}

Bytes Binding::run_call(CallControl& control, const wire::SyntaxId& iface, std::uint16_t opnum,
                        ByteView input, bool& leave_pending) {
  if (transport::is_datagram(target_.protseq)) {
    return call_datagram(iface, opnum, input, control, leave_pending);
  }
  ClientCall call(*this, control);
  return call.run(iface, opnum, input, leave_pending);
}

Bytes Binding::call(const wire::SyntaxId& iface, std::uint16_t opnum, ByteView input) {
  auto control = runtime_.begin_call(target_.protseq);
  bool leave_pending = false;
  try {
    auto result = run_call(*control, iface, opnum, input, leave_pending);
    runtime_.end_call(control, leave_pending);
    return result;
  } catch (...) {
    runtime_.end_call(control, false);
    throw;
  }
}

}  // namespace rpcfit::rpc
