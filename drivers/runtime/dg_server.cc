#include "drivers/runtime/dg_server.h"

#include <algorithm>
#include <atomic>

#include "drivers/runtime/dg_call.h"
#include "drivers/runtime/dg_pdus.h"
#include "harness/wire/codec.h"

namespace rpcfit::rpc {
namespace {

// An activity idle this long is forgotten, with any reply it kept (scenario time).
constexpr Duration kActivityRetention = std::chrono::seconds(60);
constexpr Duration kSweepInterval = std::chrono::seconds(2);
// Activities remembered at once; beyond, new ones are refused with nca_s_server_too_busy.
constexpr std::size_t kMaxActivities = 4096;

const wire::Uuid& key_of(const wire::ClPdu& pdu) {
  return pdu.activity;
}

bool asks_fack(const wire::ClPdu& pdu) {
  return (pdu.flags1 & wire::clf1::kFrag) != 0 && (pdu.flags1 & wire::clf1::kNoFack) == 0;
}

constexpr std::string_view kBudgetField = "endpoint budget";
// Threads back from a call beyond this many idle ones leave.
constexpr std::size_t kIdleThreads = 4;
// How long a call runs on the receiving thread before a follower takes over receiving (real
// time: a scheduling matter), and how long after a call a follower keeps watching for the next.
constexpr auto kGrace = std::chrono::milliseconds(1);
constexpr auto kBusy = std::chrono::milliseconds(100);

// Seconds since the epoch, as C706 has it; never 0, which means "not known yet", and later than
// any endpoint of this process had before, so a server restarted within the second is told
// from its previous instance.
std::uint32_t next_boot_time(Duration wall) {
  static std::atomic<std::uint32_t> last{0};
  const auto seconds =
      static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(wall).count());
  std::uint32_t previous = last.load();
  std::uint32_t next = 0;
  do {
    next = std::max(seconds, previous + 1);
    if (next == 0) next = 1;
  } while (!last.compare_exchange_weak(previous, next));
  return next;
}

}  // namespace

DgEndpoint::DgEndpoint(std::shared_ptr<Server::Core> core, std::unique_ptr<DatagramSocket> socket,
                       transport::Protseq protseq)
    : core_(std::move(core)),
      socket_(std::move(socket)),
      protseq_(protseq),
      boot_(next_boot_time(core_->clock().wall_now())),
      budget_(core_->options.datagram_buffer) {}

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

bool DgEndpoint::start() {
  return spawn_thread();
}

bool DgEndpoint::spawn_thread() {
  auto thread = std::make_shared<DgThread>(shared_from_this());
  return core_->spawn(thread, [thread] { thread->run(); });
}

void DgEndpoint::wake_followers() {
  std::lock_guard lock(pool_mu_);
  pool_cv_.notify_all();
}

bool DgEndpoint::ensure_follower() {
  {
    std::lock_guard lock(pool_mu_);
    // Only the leader takes followers, and it is this thread.
    if (idle_ + finishing_ > 0) return true;
  }
  return spawn_thread();  // it follows once started
}

void DgEndpoint::hand_over(std::uint64_t turn) {
  {
    std::lock_guard lock(pool_mu_);
    if (!leader_.hand_over(turn)) return;
  }
  pool_cv_.notify_one();
}

bool DgEndpoint::follow(bool back_from_call) {
  std::unique_lock lock(pool_mu_);
  if (back_from_call) --finishing_;
  ++idle_;
  bool leads = false;
  while (!core_->stopping) {
    const auto now = std::chrono::steady_clock::now();
    // Taken over from a thread running a call, which follows once the call ends.
    if (leader_.take_over(now - inline_since_ >= kGrace)) {
      leads = true;
      break;
    }
    if (!watching_ && (leader_.runs_call() || now - last_inline_ < kBusy)) {
      // The watcher: wakes when the call running on the receiving thread has had its grace, or
      // now and then while calls come, so starting one needs no wake-up.
      watching_ = true;
      pool_cv_.wait_until(lock, (leader_.runs_call() ? inline_since_ : now) + kGrace);
      watching_ = false;
    } else {
      pool_cv_.wait(lock);
    }
  }
  --idle_;
  return leads;
}

void DgEndpoint::serve(DgThread& self) {
  bool leads = false;
  bool back_from_call = false;
  for (;;) {
    if (!leads && !follow(back_from_call)) return;  // the server stops
    auto call = lead();
    if (!call) return;
    std::uint64_t turn = 0;
    bool wake = false;
    {
      std::lock_guard lock(pool_mu_);
      turn = leader_.start_call();
      inline_since_ = last_inline_ = std::chrono::steady_clock::now();
      wake = !watching_;
    }
    if (wake) pool_cv_.notify_one();  // a follower to watch this call
    self.set_current(call);
    call->run(turn);
    self.set_current(nullptr);
    bool retiring = false;
    {
      std::lock_guard lock(pool_mu_);
      // Still the receiving thread unless a follower took over meanwhile.
      leads = leader_.end_call(turn);
      // Back from a call, a thread leaves when enough others wait.
      retiring = !leads && idle_ >= kIdleThreads;
      // Counted in complete(): a thread that goes on to follow stops counting in follow(), in the
      // same step as it starts counting as idle.
      if (leads || retiring) --finishing_;
    }
    if (retiring) return;
    back_from_call = !leads;
  }
}

std::shared_ptr<DgCall> DgEndpoint::lead() {
  while (!core_->stopping) {
    Bytes bytes;
    DatagramPeer from;
    auto got = socket_->receive_from(bytes, from, core_->clock().now() + kSweepInterval,
                                     &core_->stop_waker);
    std::vector<ServerEvent> found;
    std::shared_ptr<DgCall> started;
    {
      std::lock_guard lock(mu_);
      if (got.ok()) handle(bytes, from);
      sweep(core_->clock().now());
      found.swap(found_);
      started.swap(started_);
    }
    for (const auto& event : found)
      core_->emit(event.kind, event.call_id, event.opnum, event.fault_status);
    if (started) return started;
    if (got.status == IoStatus::woken) break;
    if (got.status == IoStatus::failed) {
      // A broken socket is retried after a pause, so a persistent failure does not spin a CPU.
      std::unique_lock lock(core_->mu);
      core_->cv.wait_for(lock, std::chrono::milliseconds(50),
                         [this] { return core_->stopping.load(); });
    }
  }
  return nullptr;
}

void DgEndpoint::sweep(Duration now, bool force) {
  if (!force && now - last_sweep_ < kSweepInterval) return;
  last_sweep_ = now;
  for (auto it = activities_.begin(); it != activities_.end();) {
    const bool idle = it->second.phase != Phase::executing;
    if (idle && now - it->second.last_seen > kActivityRetention) {
      forget_fragments(it->second);
      it = activities_.erase(it);
    } else {
      ++it;
    }
  }
}

DgEndpoint::Activity* DgEndpoint::find_or_create(const wire::ClPdu& pdu, const DatagramPeer& from) {
  if (activities_.size() >= kMaxActivities) {
    sweep(core_->clock().now(), true);
    if (activities_.size() >= kMaxActivities) return nullptr;
  }
  auto& activity = activities_[key_of(pdu)];
  restart_reassembly(activity);
  activity.seqnum = pdu.seqnum;
  activity.call = pdu;
  activity.peer = from;
  return &activity;
}

DgEndpoint::Activity* DgEndpoint::find_own(const wire::ClPdu& pdu, const DatagramPeer& from) {
  auto it = activities_.find(key_of(pdu));
  if (it == activities_.end() || !(it->second.peer == from)) return nullptr;
  return &it->second;
}

void DgEndpoint::handle(const Bytes& bytes, const DatagramPeer& from) {
  auto decoded = wire::decode_cl(bytes);
  if (!decoded) return;  // CS-NEV-3: a malformed datagram is dropped; the endpoint serves on
  const auto& pdu = *decoded;
  const auto now = core_->clock().now();
  if (pdu.type == wire::PType::request) {
    if (pdu.server_boot != 0 && pdu.server_boot != boot_) {
      // The client talked to an earlier instance of this server: refused, and nothing is kept.
      send(make_cl_status(pdu, wire::PType::reject, nca::kWrongBootTime), from);
      return;
    }
    auto it = activities_.find(key_of(pdu));
    Activity* activity = it == activities_.end() ? find_or_create(pdu, from) : &it->second;
    if (activity != nullptr && activity->crashed) return;
    if (activity == nullptr) {
      send(make_cl_status(pdu, wire::PType::reject, nca::kServerTooBusy), from);
      return;
    }
    // A new call may come from a new address (a client's activity moved); the current one's
    // fragments only from where it started.
    const bool new_call = static_cast<std::int32_t>(pdu.seqnum - activity->seqnum) > 0;
    if (!(activity->peer == from) && !new_call) return;
    activity->peer = from;
    activity->last_seen = now;
    on_request(*activity, pdu, from);
    return;
  }
  Activity* activity = find_own(pdu, from);
  if (activity != nullptr && activity->crashed) return;
  if (activity != nullptr) activity->last_seen = now;
  const bool current = activity != nullptr && pdu.seqnum == activity->seqnum;
  switch (pdu.type) {
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
      // A cancel-deaf server neither acknowledges nor delivers it (spec section 9).
      if (!core_->options.cancel_deaf) on_cancel(current ? activity : nullptr, pdu, from);
      return;
    case wire::PType::fack:
      if (current && activity->phase == Phase::done && !activity->reply_acknowledged) {
        send_all(activity->reply.on_fack(pdu), from);
      }
      return;
    case wire::PType::ack:
      if (current && activity->phase == Phase::done) {
        activity->reply_acknowledged = true;
        activity->reply = DgSender();  // the client has it all: nothing is sent again
      }
      return;
    case wire::PType::request:
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
  // Sequence numbers only grow (modulo 2^32): an older one is a late duplicate.
  if (static_cast<std::int32_t>(pdu.seqnum - activity.seqnum) < 0) return;
  if (pdu.seqnum != activity.seqnum) {
    // A new call: the client has what it wanted of the previous one, or gave up on it (CS-DG-3),
    // in which case that call's routine runs on and its result is discarded (complete()).
    restart_reassembly(activity);
    activity.seqnum = pdu.seqnum;
    activity.phase = Phase::receiving;
    activity.running.reset();
    activity.reply = DgSender();
    activity.reply_acknowledged = false;
    activity.last_cancel_id = 0;
    activity.early_cancels = 0;
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
      resend_reply(activity, from);
      return;
  }
  auto whole = reassemble(activity, pdu);
  if (!whole) {
    const bool full = whole.error().field == kBudgetField;
    refuse(activity, full ? nca::kServerTooBusy : nca::kProtoError, from);
    return;
  }
  if (asks_fack(pdu))
    send(make_fack(pdu, activity.reassembler.acknowledgement(pdu), kDgWindow), from);
  if (whole->has_value()) dispatch(activity, **whole, from);
}

Result<std::optional<wire::ClPdu>, wire::Error> DgEndpoint::reassemble(Activity& activity,
                                                                       const wire::ClPdu& pdu) {
  const std::size_t before = activity.reassembler.held();
  auto whole = activity.reassembler.add(pdu);
  held_ = held_ - before + activity.reassembler.held();
  if (held_ > budget_) {
    restart_reassembly(activity);
    return unexpected(wire::Error{
        wire::ErrorCode::limit_exceeded, std::string(kBudgetField), 0,
        "the endpoint holds " + std::to_string(budget_) + " bytes of requests already"});
  }
  return whole;
}

void DgEndpoint::forget_fragments(Activity& activity) {
  held_ -= std::min(held_, activity.reassembler.held());
}

void DgEndpoint::restart_reassembly(Activity& activity) {
  forget_fragments(activity);
  activity.reassembler = wire::ClCallReassembler(core_->options.limits);
}

void DgEndpoint::resend_reply(Activity& activity, const DatagramPeer& to) {
  // Once the client has acknowledged the reply, it has it all: a late duplicate gets nothing.
  // Otherwise it lacks part of the reply: the first fragment it has not acknowledged goes again,
  // or the last one when it facked them all, so a ping never buys a whole window.
  if (activity.reply_acknowledged) return;
  send_all(activity.reply.on_ping(), to);
}

void DgEndpoint::refuse(Activity& activity, std::uint32_t status, const DatagramPeer& from) {
  restart_reassembly(activity);
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
  // This thread runs the call (lead()); another must be there to receive meanwhile.
  if (!ensure_follower()) {
    refuse(activity, nca::kServerTooBusy, from);
    return;
  }
  auto call =
      std::make_shared<DgCall>(shared_from_this(), whole, routine->second, activity.early_cancels);
  activity.phase = Phase::executing;
  activity.running = call;
  started_ = std::move(call);
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
  // Stamped by emit(), which an abandoned call skips: such a call reads no clock from here on.
  ServerEvent event{ServerEventKind::result_discarded, Duration{}, request.seqnum, request.opnum,
                    0};
  {
    // Before the reply can go out, this thread counts as a follower (serve()).
    std::lock_guard lock(pool_mu_);
    ++finishing_;
  }
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
      if ((state.cancelled() && !state.observed()) || activity.running->undelivered()) {
        reply.flags2 |= wire::clf2::kCancelPending;
      }
      std::vector<wire::ClPdu> fragments{reply};
      if (!outcome.fault) {
        auto split = wire::fragment_cl(reply, dg_fragment_body(socket_->max_datagram()));
        if (split) fragments = std::move(*split);  // a ClRaw body always splits
      }
      activity.phase = Phase::done;
      activity.running.reset();
      if (outcome.crash_after) {
        // ServerCrash: a cut-off first datagram, then silence for the activity.
        activity.crashed = true;
        event.kind = ServerEventKind::result_discarded;
        auto first = wire::encode(fragments.front());
        first.resize(std::min(first.size(), *outcome.crash_after));
        if (!first.empty()) socket_->send_to(first, activity.peer);
      } else {
        activity.reply = DgSender(std::move(fragments));
        send_all(activity.reply.start(), activity.peer);
      }
    }
  }
  core_->emit(event.kind, event.call_id, event.opnum, event.fault_status);
}

}  // namespace rpcfit::rpc
