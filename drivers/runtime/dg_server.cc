#include "drivers/runtime/dg_server.h"

#include <condition_variable>

#include "drivers/runtime/dg_pdus.h"
#include "harness/wire/codec.h"

namespace rpcfit::rpc {
namespace {

// An activity idle this long is forgotten, with any reply it kept (scenario time).
constexpr Duration kActivityRetention = std::chrono::seconds(60);
constexpr Duration kSweepInterval = std::chrono::seconds(2);
// Activities remembered at once; beyond, new ones are refused with nca_s_server_too_busy.
constexpr std::size_t kMaxActivities = 4096;

std::string key_of(const wire::ClPdu& pdu) {
  return pdu.activity.to_string();
}

bool asks_fack(const wire::ClPdu& pdu) {
  return (pdu.flags1 & wire::clf1::kFrag) != 0 && (pdu.flags1 & wire::clf1::kNoFack) == 0;
}

}  // namespace

// One executing call: its worker thread runs the manager routine; the receive thread posts the
// cl_cancel PDUs that arrive for it.
class DgCall final : public ServerCallHost,
                     public ServerWorker,
                     public std::enable_shared_from_this<DgCall> {
 public:
  DgCall(std::shared_ptr<DgEndpoint> endpoint, wire::ClPdu request, ManagerRoutine routine,
         int early_cancels)
      : endpoint_(std::move(endpoint)),
        request_(std::move(request)),
        routine_(std::move(routine)),
        cancels_(early_cancels) {}

  void run() {
    int early = 0;
    {
      std::lock_guard lock(mu_);
      early = cancels_;
    }
    ServerCall call(shared_from_this(), request_.seqnum, request_.opnum, early > 0);
    for (int i = 0; i < early; ++i)
      call.note_cancel(false);
    delivered_ = early;
    const auto& input = std::get<wire::ClRaw>(request_.body).body;
    // Early cancels were reported as they arrived.
    auto outcome = run_manager_routine(core(), routine_, call, input, false);
    read_during_call(call, std::nullopt);
    auto state = call.snapshot();
    call.end();
    endpoint_->complete(*this, std::move(outcome), state);
  }

  // Cancels posted that the routine's ServerCall has not been told of.
  bool undelivered() {
    std::lock_guard lock(mu_);
    return cancels_ > delivered_;
  }

  void post_cancel() {
    std::lock_guard lock(mu_);
    ++cancels_;
    cv_.notify_all();
  }

  void read_during_call(ServerCall& call, const std::optional<Deadline>& wait) override {
    int fresh = 0;
    {
      std::unique_lock lock(mu_);
      // A call cancelled already (early cancels included) needs no wait.
      if (wait && !call.snapshot().cancelled) {
        auto arrived = [&] { return cancels_ > delivered_ || core().stopping.load(); };
        if (*wait) {
          cv_.wait_until(lock, core().clock().to_steady(**wait), arrived);
        } else {
          cv_.wait(lock, arrived);
        }
      }
      fresh = cancels_ - delivered_;
      delivered_ = cancels_;
    }
    for (; fresh > 0; --fresh)
      call.note_cancel(false);
  }
  Server::Core& core() const override { return endpoint_->core(); }
  transport::Protseq protseq() const override { return endpoint_->protseq(); }

  void interrupt() override {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  }
  void abandon() override { endpoint_->abandon(); }

  const wire::ClPdu& request() const { return request_; }

 private:
  std::shared_ptr<DgEndpoint> endpoint_;
  const wire::ClPdu request_;
  const ManagerRoutine routine_;
  std::mutex mu_;
  std::condition_variable cv_;
  int cancels_ = 0;    // cl_cancel PDUs for the call; guarded by mu_
  int delivered_ = 0;  // of those, noted on the ServerCall; guarded by mu_
};

DgEndpoint::DgEndpoint(std::shared_ptr<Server::Core> core, std::unique_ptr<DatagramSocket> socket,
                       transport::Protseq protseq)
    : core_(std::move(core)),
      socket_(std::move(socket)),
      protseq_(protseq),
      // Seconds since the epoch, as C706 has it; never 0, which means "not known yet".
      boot_(
          static_cast<std::uint32_t>(
              std::chrono::duration_cast<std::chrono::seconds>(core_->clock().wall_now()).count()) |
          1u) {}

DgEndpoint::~DgEndpoint() {
  socket_->close();
}

void DgEndpoint::abandon() {
  socket_->detach_capture();
}

void DgEndpoint::send(wire::ClPdu pdu, const DatagramPeer& to) {
  pdu.server_boot = boot_;  // every reply names this server instance
  // A reply that cannot be sent is lost like one dropped on the way; the client's timers recover.
  socket_->send_to(wire::encode(pdu), to);
}

void DgEndpoint::send_all(const std::vector<wire::ClPdu>& pdus, const DatagramPeer& to) {
  for (const auto& pdu : pdus)
    send(pdu, to);
}

void DgEndpoint::run() {
  while (!core_->stopping) {
    Bytes bytes;
    DatagramPeer from;
    auto got = socket_->receive_from(bytes, from, core_->clock().now() + kSweepInterval,
                                     &core_->stop_waker);
    std::vector<ServerEvent> found;
    {
      std::lock_guard lock(mu_);
      if (got.ok()) handle(bytes, from);
      sweep(core_->clock().now());
      found.swap(found_);
    }
    for (const auto& event : found)
      core_->emit(event.kind, event.call_id, event.opnum, event.fault_status);
    if (got.status == IoStatus::woken) break;
    if (got.status == IoStatus::failed) {
      // A broken socket is retried after a pause, so a persistent failure does not spin a CPU.
      std::unique_lock lock(core_->mu);
      core_->cv.wait_for(lock, std::chrono::milliseconds(50),
                         [this] { return core_->stopping.load(); });
    }
  }
}

void DgEndpoint::sweep(Duration now, bool force) {
  if (!force && now - last_sweep_ < kSweepInterval) return;
  last_sweep_ = now;
  for (auto it = activities_.begin(); it != activities_.end();) {
    const bool idle = it->second.phase != Phase::executing;
    if (idle && now - it->second.last_seen > kActivityRetention) {
      it = activities_.erase(it);
    } else {
      ++it;
    }
  }
}

DgEndpoint::Activity* DgEndpoint::find_or_create(const wire::ClPdu& pdu) {
  auto key = key_of(pdu);
  if (auto it = activities_.find(key); it != activities_.end()) return &it->second;
  if (activities_.size() >= kMaxActivities) {
    sweep(core_->clock().now(), true);
    if (activities_.size() >= kMaxActivities) return nullptr;
  }
  auto& activity = activities_[key];
  activity.reassembler = wire::ClCallReassembler(core_->options.limits);
  activity.seqnum = pdu.seqnum;
  activity.call = pdu;
  return &activity;
}

void DgEndpoint::handle(const Bytes& bytes, const DatagramPeer& from) {
  auto decoded = wire::decode_cl(bytes);
  if (!decoded) return;  // CS-NEV-3: a malformed datagram is dropped; the endpoint serves on
  const auto& pdu = *decoded;
  const auto now = core_->clock().now();
  Activity* activity = nullptr;
  if (auto it = activities_.find(key_of(pdu)); it != activities_.end()) activity = &it->second;
  if (activity != nullptr) {
    activity->last_seen = now;
    activity->peer = from;
  }
  const bool current = activity != nullptr && pdu.seqnum == activity->seqnum;
  switch (pdu.type) {
    case wire::PType::request:
      if (activity == nullptr) {
        activity = find_or_create(pdu);
        if (activity == nullptr) {
          send(make_cl_status(pdu, wire::PType::reject, nca::kServerTooBusy), from);
          return;
        }
        activity->last_seen = now;
        activity->peer = from;
      }
      on_request(*activity, pdu, from);
      return;
    case wire::PType::ping:
      if (!current) {
        send(about_call(pdu, wire::PType::nocall), from);
        return;
      }
      switch (activity->phase) {
        case Phase::receiving:
          send(about_call(pdu, wire::PType::nocall), from);  // the request is not all here yet
          return;
        case Phase::executing:
          send(about_call(pdu, wire::PType::working), from);  // CS-DG-5
          return;
        case Phase::done:
          resend_reply(*activity, from);
          return;
      }
      return;
    case wire::PType::cl_cancel:
      on_cancel(current ? activity : nullptr, pdu, from);
      return;
    case wire::PType::fack:
      if (current && activity->phase == Phase::done) {
        send_all(activity->reply.on_fack(pdu), from);
      }
      return;
    case wire::PType::ack:
      if (current && activity->phase == Phase::done) activity->reply_acknowledged = true;
      return;
    case wire::PType::response:
    case wire::PType::fault:
    case wire::PType::working:
    case wire::PType::nocall:
    case wire::PType::reject:
    case wire::PType::cancel_ack:
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
      return;  // nothing a server answers
  }
}

void DgEndpoint::on_request(Activity& activity, const wire::ClPdu& pdu, const DatagramPeer& from) {
  if (pdu.server_boot != 0 && pdu.server_boot != boot_) {
    // The client talked to an earlier instance of this server.
    send(make_cl_status(pdu, wire::PType::reject, nca::kWrongBootTime), from);
    return;
  }
  // Sequence numbers only grow (modulo 2^32): an older one is a late duplicate.
  if (static_cast<std::int32_t>(pdu.seqnum - activity.seqnum) < 0) return;
  if (pdu.seqnum != activity.seqnum) {
    // A new call: the client has what it wanted of the previous one, or gave up on it (CS-DG-3),
    // in which case that call's routine runs on and its result is discarded (complete()).
    activity.seqnum = pdu.seqnum;
    activity.phase = Phase::receiving;
    activity.running.reset();
    activity.reply = DgSender();
    activity.reply_acknowledged = false;
    activity.last_cancel_id = 0;
    activity.early_cancels = 0;
    activity.reassembler = wire::ClCallReassembler(core_->options.limits);
  }
  activity.call = pdu;
  switch (activity.phase) {
    case Phase::receiving:
      break;
    case Phase::executing:
      // The client resent the request: tell it the call is running (CS-DG-5), never run it again.
      if (asks_fack(pdu) || (pdu.flags1 & wire::clf1::kFrag) == 0) {
        send(about_call(pdu, wire::PType::working), from);
      }
      return;
    case Phase::done:
      if (!activity.reply_acknowledged) resend_reply(activity, from);
      return;
  }
  auto whole = activity.reassembler.add(pdu);
  if (!whole) {
    refuse(activity, nca::kProtoError, from);
    return;
  }
  if (asks_fack(pdu))
    send(make_fack(pdu, activity.reassembler.acknowledgement(pdu), kDgWindow), from);
  if (whole->has_value()) dispatch(activity, **whole, from);
}

void DgEndpoint::resend_reply(Activity& activity, const DatagramPeer& to) {
  // The client asks again, so it lacks part of the reply, even if it facked every fragment.
  auto again = activity.reply.on_timer();
  if (again.empty()) {
    activity.reply.restart();
    again = activity.reply.start();
  }
  send_all(again, to);
}

void DgEndpoint::refuse(Activity& activity, std::uint32_t status, const DatagramPeer& from) {
  activity.phase = Phase::done;
  activity.reply = DgSender({make_cl_status(activity.call, wire::PType::reject, status)});
  send_all(activity.reply.start(), from);
}

void DgEndpoint::dispatch(Activity& activity, const wire::ClPdu& whole, const DatagramPeer& from) {
  auto registration = core_->find_interface({whole.interface_id, whole.interface_version});
  if (!registration) {
    refuse(activity, nca::kUnknownInterface, from);
    return;
  }
  auto routine = registration->routines.find(whole.opnum);
  if (routine == registration->routines.end()) {
    refuse(activity, nca::kOpRangeError, from);
    return;
  }
  auto call =
      std::make_shared<DgCall>(shared_from_this(), whole, routine->second, activity.early_cancels);
  if (!core_->spawn(call, [call] { call->run(); })) {
    refuse(activity, nca::kServerTooBusy, from);
    return;
  }
  activity.phase = Phase::executing;
  activity.running = std::move(call);
}

void DgEndpoint::on_cancel(Activity* activity, const wire::ClPdu& pdu, const DatagramPeer& from) {
  const auto& body = std::get<wire::ClCancel>(pdu.body);
  // Accepting while the call is arriving or running: the routine will see the cancel (CS-DG-2).
  const bool accepting = activity != nullptr && activity->phase != Phase::done;
  // A cl_cancel without a body cannot be told from its retransmission: each one counts.
  const bool fresh =
      !body.has_body || activity == nullptr || body.cancel_id > activity->last_cancel_id;
  if (accepting && fresh) {
    activity->last_cancel_id = body.cancel_id;
    if (activity->running) {
      activity->running->post_cancel();
    } else {
      ++activity->early_cancels;
    }
    found_.push_back(ServerEvent{ServerEventKind::cancel_arrived, core_->clock().now(), pdu.seqnum,
                                 activity->call.opnum, 0});
  }
  send(make_cancel_ack(pdu, body.cancel_id, accepting), from);
}

void DgEndpoint::complete(const DgCall& call, RoutineOutcome outcome,
                          const ServerCall::State& state) {
  const auto& request = call.request();
  ServerEvent event{ServerEventKind::result_discarded, core_->clock().now(), request.seqnum,
                    request.opnum, 0};
  {
    std::lock_guard lock(mu_);
    auto it = activities_.find(key_of(request));
    if (it != activities_.end() && it->second.running.get() == &call) {
      auto& activity = it->second;
      wire::ClPdu reply;
      if (outcome.fault) {
        reply = make_cl_status(request, wire::PType::fault, *outcome.fault);
        event.kind = ServerEventKind::fault_sent;
        event.fault_status = *outcome.fault;
      } else {
        reply = about_call(request, wire::PType::response);
        reply.body = wire::ClRaw{std::move(outcome.output)};
        event.kind = ServerEventKind::response_sent;
      }
      // CS-DG-4 from the server's side: a cancel arrived that the routine never looked at.
      // A cl_cancel acked as accepted after the routine's last look counts as unobserved too.
      if ((state.cancelled && !state.observed) || activity.running->undelivered()) {
        reply.flags2 |= wire::clf2::kCancelPending;
      }
      std::vector<wire::ClPdu> fragments{reply};
      if (!outcome.fault) {
        auto split = wire::fragment_cl(reply, dg_fragment_body(socket_->max_datagram()));
        if (split) fragments = std::move(*split);  // a ClRaw body always splits
      }
      activity.reply = DgSender(std::move(fragments));
      activity.phase = Phase::done;
      activity.running.reset();
      send_all(activity.reply.start(), activity.peer);
    }
  }
  core_->emit(event.kind, event.call_id, event.opnum, event.fault_status);
}

}  // namespace rpcfit::rpc
