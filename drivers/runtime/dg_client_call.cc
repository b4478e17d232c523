// Binding::call over ncadg_*: one synchronous call on an activity, with the retransmission,
// ping and cancel behaviour of spec section 5. The calling thread does all of the call's I/O; a
// cancelling thread posts to the call's CallCancel and wakes it, and the calling thread sends the
// cl_cancel PDUs and keeps their retransmission timer and the cancel timeout.
#include <algorithm>
#include <optional>

#include "drivers/runtime/call_control.h"
#include "drivers/runtime/client.h"
#include "drivers/runtime/dg_activity.h"
#include "drivers/runtime/dg_flow.h"
#include "drivers/runtime/dg_pdus.h"
#include "harness/wire/codec.h"

namespace rpcfit::rpc {

class DgClientCall {
 public:
  DgClientCall(Binding& binding, CallControl& control) : binding_(binding), control_(control) {}
  DgClientCall(const DgClientCall&) = delete;
  DgClientCall& operator=(const DgClientCall&) = delete;

  Bytes run(const wire::SyntaxId& iface, std::uint16_t opnum, ByteView input, bool& leave_pending);

 private:
  // A backed-off timer: next firing and the wait after it.
  struct Timer {
    Duration at{};
    Duration interval{};
  };
  void start_request(const wire::SyntaxId& iface, std::uint16_t opnum, ByteView input);
  void send(const wire::ClPdu& pdu);
  void send_all(const std::vector<wire::ClPdu>& pdus);
  void forward_cancel();
  // Timers due now: retransmission, ping, cl_cancel, the server's silence.
  void on_timers(Duration now);
  // The result when the PDU completes the call; nullopt to keep waiting.
  std::optional<Bytes> on_datagram(const Bytes& bytes, bool& leave_pending);
  std::optional<Bytes> on_response(const wire::ClPdu& pdu, bool& leave_pending);
  void heard(Duration now);
  void rearm(Timer& timer, Duration first, Duration now);
  void back_off(Timer& timer, Duration now);
  Deadline next_wake(const Deadline& cancel_deadline) const;
  // Ends the call with the activity kept for the next call (the server answered it).
  void finish_activity();
  [[noreturn]] void orphan();
  [[noreturn]] void fail(RpcStatus status, const std::string& detail);
  bool told_server();
  Clock& clock() const { return binding_.runtime().clock(); }
  const BindingOptions& options() const { return binding_.options_; }

  Binding& binding_;
  CallControl& control_;
  std::unique_ptr<DgActivity> activity_;
  wire::ClPdu call_;  // the request's header: the call's identity
  DgSender request_;
  wire::ClCallReassembler response_;
  bool heard_ = false;  // the server has sent something for this call
  Duration last_heard_{};
  Timer retransmit_;  // the request while unacknowledged, then pings
  std::uint32_t cancel_id_ = 0;
  std::uint32_t accepted_id_ = 0;  // the latest cancel_id the server acked as accepting
  bool cancel_unacked_ = false;
  Timer cancel_timer_;
};

void DgClientCall::send(const wire::ClPdu& pdu) {
  // Every PDU names the server instance the activity knows (0 until its first reply), also a
  // request sent again after a nocall: a server restarted since rejects it rather than running
  // the call a second time (C706 server boot time, CS-NEV-2).
  std::optional<wire::ClPdu> stamped;
  if (pdu.server_boot != activity_->server_boot) {
    stamped = pdu;
    stamped->server_boot = activity_->server_boot;
  }
  // A datagram that cannot be sent is lost like one dropped on the way; timers recover it.
  auto sent = activity_->socket->send_to(wire::encode(stamped ? *stamped : pdu), activity_->server);
  if (sent.status == IoStatus::closed) fail(status::kServerUnavailable, sent.detail);
}

void DgClientCall::send_all(const std::vector<wire::ClPdu>& pdus) {
  for (const auto& pdu : pdus)
    send(pdu);
}

void DgClientCall::rearm(Timer& timer, Duration first, Duration now) {
  timer.interval = first;
  timer.at = now + first;
}

void DgClientCall::back_off(Timer& timer, Duration now) {
  timer.interval = std::min(timer.interval * 2, options().dg_max_retransmit);
  timer.at = now + timer.interval;
}

void DgClientCall::heard(Duration now) {
  last_heard_ = now;
  heard_ = true;
}

bool DgClientCall::told_server() {
  std::lock_guard lock(control_.mu);
  return control_.cancel.told_server();
}

void DgClientCall::start_request(const wire::SyntaxId& iface, std::uint16_t opnum, ByteView input) {
  call_.type = wire::PType::request;
  // Facks are for fragments: a request that fits one datagram says it wants none. (With flags1
  // and flags2 both zero, Wireshark's WireGuard heuristic would also claim it before DCE/RPC's.)
  call_.flags1 = wire::clf1::kNoFack;
  if (const auto& object = binding_.string_binding().object_uuid) {
    call_.object = *wire::Uuid::parse(*object);  // checked when the binding was parsed
  }
  call_.interface_id = iface.uuid;
  call_.interface_version = iface.version;
  call_.activity = activity_->id;
  call_.seqnum = activity_->seqnum;
  activity_->owed_ack.reset();  // this request acknowledges the previous call's reply
  call_.server_boot = activity_->server_boot;
  call_.opnum = opnum;
  call_.body = wire::ClRaw{Bytes(input.begin(), input.end())};
  auto fragments = wire::fragment_cl(call_, dg_fragment_body(activity_->socket->max_datagram()));
  if (!fragments) fail(status::kProtocolError, fragments.error().to_string());
  request_ = DgSender(std::move(*fragments));
  call_.body = wire::ClRaw{};

  bool carried = false;
  {
    std::lock_guard lock(control_.mu);
    carried = control_.cancel.first_fragment(clock().now());
  }
  const auto now = clock().now();
  last_heard_ = now;
  rearm(retransmit_, options().dg_retransmit, now);
  send_all(request_.start());
  // The datagram protocol has no PFC_PENDING_CANCEL: a cancel posted before the call goes as a
  // cl_cancel right behind the request, its timer started with the request (decision, README).
  if (carried) forward_cancel();
}

void DgClientCall::forward_cancel() {
  ++cancel_id_;  // CS-DG-1: a new cancel_id per cancel
  cancel_unacked_ = true;
  rearm(cancel_timer_, options().dg_retransmit, clock().now());
  send(make_cl_cancel(call_, cancel_id_));
}

Deadline DgClientCall::next_wake(const Deadline& cancel_deadline) const {
  Duration wake = std::min(retransmit_.at, last_heard_ + options().dg_comm_timeout);
  if (cancel_unacked_) wake = std::min(wake, cancel_timer_.at);
  if (cancel_deadline) wake = std::min(wake, *cancel_deadline);
  return wake;
}

void DgClientCall::on_timers(Duration now) {
  if (now >= last_heard_ + options().dg_comm_timeout) {
    fail(status::kCommFailure, "no reply from the server");
  }
  if (cancel_unacked_ && now >= cancel_timer_.at) {
    send(make_cl_cancel(call_, cancel_id_));  // CS-DG-1, CS-DG-5
    back_off(cancel_timer_, now);
  }
  if (now >= retransmit_.at) {
    if (!request_.acknowledged()) {
      send_all(request_.on_timer());  // CS-DG-5
    } else {
      auto ping = about_call(call_, wire::PType::ping);
      send(ping);
    }
    back_off(retransmit_, now);
  }
}

Bytes DgClientCall::run(const wire::SyntaxId& iface, std::uint16_t opnum, ByteView input,
                        bool& leave_pending) {
  activity_ = binding_.acquire_activity();
  start_request(iface, opnum, input);
  for (;;) {
    int forwards = 0;
    bool due = false;
    Deadline deadline;
    const auto now = clock().now();
    {
      std::lock_guard lock(control_.mu);
      forwards = control_.cancel.take_forwards();
      due = control_.cancel.due(now);
      deadline = control_.cancel.deadline();
    }
    if (due) {
      // A reply that arrived before the deadline wins over it (CS-TMO-1); the cl_cancel of a
      // cancel due at once (T = 0) goes only after, so what is read here cannot be the server's
      // answer to it. Bounded, so a peer that keeps the socket busy cannot hold the caller
      // (CS-NEV-1).
      Bytes early;
      DatagramPeer from;
      for (int budget = 64; budget > 0; --budget) {
        if (!activity_->socket->receive_from(early, from, Duration::zero(), nullptr).ok()) break;
        if (auto result = on_datagram(early, leave_pending)) return std::move(*result);
      }
      for (; forwards > 0; --forwards)
        forward_cancel();  // with T = 0 the server is still told (CS-TMO-3)
      orphan();            // CS-DG-3
    }
    for (; forwards > 0; --forwards)
      forward_cancel();  // CS-DG-1
    on_timers(now);

    Bytes datagram;
    DatagramPeer from;
    auto got =
        activity_->socket->receive_from(datagram, from, next_wake(deadline), &control_.waker);
    switch (got.status) {
      case IoStatus::ok:
        if (auto result = on_datagram(datagram, leave_pending)) return std::move(*result);
        break;
      case IoStatus::timed_out:  // the loop head sees the timers
        break;
      case IoStatus::woken:
        control_.waker.consume();
        break;
      case IoStatus::closed:
        // ICMP port unreachable: nobody listens (any more) at the server's address.
        fail(heard_ ? status::kCallFailed : status::kServerUnavailable, got.detail);
      case IoStatus::failed:
      case IoStatus::malformed:
        fail(status::kCallFailed, got.detail);
    }
  }
}

std::optional<Bytes> DgClientCall::on_datagram(const Bytes& bytes, bool& leave_pending) {
  auto decoded = wire::decode_cl(bytes);
  // A datagram that is not a PDU of this call is not the server answering it: stray or
  // malformed datagrams are dropped, as a datagram protocol must (CS-NEV-3).
  if (!decoded || decoded->activity != call_.activity || decoded->seqnum != call_.seqnum) {
    return std::nullopt;
  }
  const auto& pdu = *decoded;
  const auto now = clock().now();
  const bool heard_before = heard_;
  heard(now);
  if (activity_->server_boot == 0) {
    activity_->server_boot = pdu.server_boot;
  } else if (pdu.server_boot != 0 && pdu.server_boot != activity_->server_boot) {
    // Another instance of the server answers: the one that knew the call is gone. fail() drops
    // the activity with its boot time, so the binding's next call starts afresh. Only a reject of
    // a call nothing had answered yet proves it never ran (the new instance refused it).
    const auto* reject = std::get_if<wire::ClStatus>(&pdu.body);
    const bool refused = pdu.type == wire::PType::reject && reject != nullptr &&
                         reject->status == nca::kWrongBootTime && !heard_before;
    fail(refused ? status::kCallFailedDne : status::kCallFailed,
         "the server restarted (boot time " + std::to_string(activity_->server_boot) + ", now " +
             std::to_string(pdu.server_boot) + ")");
  }
  switch (pdu.type) {
    case wire::PType::response:
      return on_response(pdu, leave_pending);
    case wire::PType::fault: {
      const auto& body = std::get<wire::ClStatus>(pdu.body);
      send(about_call(call_, wire::PType::ack));
      finish_activity();
      throw RpcException(status_from_fault(body.status.value_or(nca::kFaultUnspec)),
                         "fault from server");  // CS-RES-1, CS-SRV-7
    }
    case wire::PType::reject: {
      const auto& body = std::get<wire::ClStatus>(pdu.body);
      finish_activity();
      throw RpcException(
          status_from_fault(body.status.value_or(nca::kUnspecReject)),
          "rejected by server: " + describe_nca_status(body.status.value_or(nca::kUnspecReject)));
    }
    case wire::PType::working:
      // The server has the whole request and is executing it: ping from now on (CS-DG-5).
      if (!request_.acknowledged()) {
        request_.acknowledge_all();
        rearm(retransmit_, options().dg_ping, now);
      }
      break;
    case wire::PType::nocall:
      if (response_.in_progress() == 0) {
        // The server has no record of the call: it lost the request (or forgot it).
        request_.restart();
        send_all(request_.start());
        rearm(retransmit_, options().dg_retransmit, now);
      }
      break;
    case wire::PType::fack:
      // The server is taking the request in: the next retransmission waits a full interval again.
      if (!request_.acknowledged()) rearm(retransmit_, options().dg_retransmit, now);
      send_all(request_.on_fack(pdu));
      break;
    case wire::PType::cancel_ack: {
      const auto& ack = std::get<wire::ClCancelAck>(pdu.body);
      // A server that does not have the request yet (it was lost, or the cl_cancel overtook it)
      // cannot accept the cancel: it is sent again until the call is there to hear it.
      const bool no_call_yet = ack.server_is_accepting == 0 && !request_.acknowledged();
      if (ack.cancel_id == cancel_id_ && !no_call_yet) cancel_unacked_ = false;
      if (ack.server_is_accepting != 0) accepted_id_ = std::max(accepted_id_, ack.cancel_id);
      break;
    }
    case wire::PType::request:
    case wire::PType::ping:
    case wire::PType::ack:
    case wire::PType::cl_cancel:
    case wire::PType::bind:
    case wire::PType::bind_ack:
    case wire::PType::bind_nak:
    case wire::PType::alter_context:
    case wire::PType::alter_context_resp:
    case wire::PType::auth3:
    case wire::PType::shutdown:
    case wire::PType::co_cancel:
    case wire::PType::orphaned:
    case wire::PType::rts:
      break;  // not for a client
  }
  return std::nullopt;
}

std::optional<Bytes> DgClientCall::on_response(const wire::ClPdu& pdu, bool& leave_pending) {
  const auto now = clock().now();
  if (!request_.acknowledged()) {
    request_.acknowledge_all();
    rearm(retransmit_, options().dg_ping, now);
  }
  auto whole = response_.add(pdu);
  if (!whole) fail(status::kProtocolError, whole.error().to_string());
  const bool fragment = (pdu.flags1 & wire::clf1::kFrag) != 0;
  if (fragment && (pdu.flags1 & wire::clf1::kNoFack) == 0) {
    send(make_fack(pdu, response_.acknowledgement(pdu), kDgWindow));
  }
  if (!whole->has_value()) {
    // More fragments are coming: a lost one is asked for again by the ping timer.
    rearm(retransmit_, options().dg_ping, now);
    return std::nullopt;
  }
  // The server may forget the call once it is acknowledged (C706). A reply of one datagram is
  // acknowledged by the activity's next request, or when the activity closes: one datagram and
  // one wake-up of the server fewer per call, while the server keeps at most that datagram. A
  // longer reply is acknowledged at once, so the server frees it.
  auto ack = about_call(call_, wire::PType::ack);
  ack.server_boot = activity_->server_boot;
  if (fragment) {
    send(ack);
  } else {
    activity_->owed_ack = std::move(ack);
  }
  {
    // CS-DG-4: a cancel still pending at the server when the call ended was not seen there, nor
    // was one the server has not acknowledged as accepted (the datagram counterpart of a
    // cancel_count lower than the cancels sent); it stays pending on the thread as in CS-RES-3.
    std::lock_guard lock(control_.mu);
    const bool pending = ((*whole)->flags2 & wire::clf2::kCancelPending) != 0;
    leave_pending = control_.cancel.told_server() && (pending || accepted_id_ < cancel_id_);
  }
  finish_activity();
  return std::move(std::get<wire::ClRaw>((*whole)->body).body);  // CS-RES-2
}

void DgClientCall::finish_activity() {
  ++activity_->seqnum;
  binding_.release_activity(std::move(activity_));
}

void DgClientCall::orphan() {
  {
    std::lock_guard lock(control_.mu);
    control_.cancel.orphan();
  }
  // There is no orphaned PDU in the datagram protocol: all traffic for the call stops, and the
  // activity goes with it (CS-DG-3).
  activity_->close();
  activity_.reset();
  throw RpcException(status::kCallCancelled, "cancel timeout expired; call abandoned");
}

void DgClientCall::fail(RpcStatus status, const std::string& detail) {
  const bool told = told_server();
  if (activity_) {
    activity_->close();
    activity_.reset();
  }
  // As CS-CONN-2: after a cancel was forwarded, the cancel is what ended the call.
  if (told && status != status::kProtocolError) {
    throw RpcException(status::kCallCancelled, "call lost after cancel: " + detail);
  }
  throw RpcException(status, detail);
}

void DgActivity::close() {
  if (owed_ack) socket->send_to(wire::encode(*owed_ack), server);
  owed_ack.reset();
  socket->close();
}

Bytes Binding::call_datagram(const wire::SyntaxId& iface, std::uint16_t opnum, ByteView input,
                             CallControl& control, bool& leave_pending) {
  DgClientCall call(*this, control);
  return call.run(iface, opnum, input, leave_pending);
}

}  // namespace rpcfit::rpc
