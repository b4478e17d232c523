// The server side of the connectionless protocol on one datagram endpoint: threads taking turns
// to receive (dg_call.h) share a record per client activity (C706's server activity table) and
// answer requests, pings, cl_cancel, fack and ack. A call's manager routine runs on the thread
// whose datagram completed the request, while another thread takes over receiving and answers
// pings (working) and cancels.
//
// At most once (CS-DG-5): an activity runs the call of a sequence number once. A duplicate
// request fragment of a call that is executing is answered with working; one of a call that has
// ended gets (the last fragment of) the saved response again, until the client acknowledges it
// (ack, or a request with a higher sequence number) or the activity has been idle for
// kActivityRetention. The guard therefore holds for clients that give up on a call sooner than
// that (our dg_comm_timeout is 30 s). rpcfit's server does not call clients back: it has no C706
// conversation callback to learn the sequence number of an activity it has forgotten (README).
//
// Only the peer an activity's call came from is heard for it: facks, pings, acks and cl_cancel
// PDUs from elsewhere are dropped. Fragments held for reassembly count against a byte budget for
// the whole endpoint; a call that would exceed it is rejected with nca_s_server_too_busy.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "drivers/runtime/dg_flow.h"
#include "drivers/runtime/dg_leader.h"
#include "drivers/runtime/server_core.h"
#include "harness/seams/datagram.h"
#include "harness/wire/fragment.h"

namespace rpcfit::rpc {

class DgCall;
class DgThread;

class DgEndpoint : public std::enable_shared_from_this<DgEndpoint> {
 public:
  DgEndpoint(std::shared_ptr<Server::Core> core, std::unique_ptr<DatagramSocket> socket,
             transport::Protseq protseq);
  ~DgEndpoint();
  DgEndpoint(const DgEndpoint&) = delete;
  DgEndpoint& operator=(const DgEndpoint&) = delete;

  // Starts the endpoint's first thread; false when the server refuses one (stopping, or at its
  // max_connections).
  bool start();
  // An endpoint thread's body (DgThread): follows until it may lead, receives as leader until a
  // datagram starts a call, runs that call, and follows again; until the server stops.
  void serve(DgThread& self);
  void wake_followers();  // from stop()
  // The routine of the call started in `turn` on the receiving thread looks at its cancels: a
  // follower takes over receiving at once, so they reach it (no grace).
  void hand_over(std::uint64_t turn);
  void abandon();  // from stop(): calls still running send untapped
  std::string endpoint() const { return socket_->endpoint(); }
  transport::Protseq protseq() const { return protseq_; }
  Server::Core& core() const { return *core_; }

  // From a call's worker: the routine ended; sends and keeps its reply unless the client has
  // moved on from the call.
  void complete(const DgCall& call, RoutineOutcome outcome, const ServerCall::State& state);

 private:
  // An activity's current call (the one of its highest sequence number), under mu_. An activity
  // is created receiving by a request of an unknown activity (refused with nca_s_server_too_busy
  // past kMaxActivities), and forgotten by sweep() once idle for kActivityRetention outside
  // executing. Two flags qualify done: reply_acknowledged (the client has it all: nothing is sent
  // again) and crashed (a ServerCrash: every later PDU of the activity, a new call's included, is
  // dropped until sweep()). A request naming another server_boot is rejected and changes nothing.
  // Only the activity's peer is heard for the current call; a request with a higher sequence
  // number is heard from any address and makes it the peer.
  // clang-format off
  // Transitions (state, event -> state: effect [rule]):
  //   any        request, higher seqnum     -> receiving  a new call; the previous call's
  //                                                       fragments, reply and cancels are
  //                                                       dropped, a routine still running runs
  //                                                       on and its result is discarded
  //                                                       [CS-DG-3]; then as the rows below
  //   any        request, lower seqnum      -> unchanged  a late duplicate: dropped
  //   receiving  request fragment           -> receiving  held (within budget_); fack if asked
  //   receiving  request complete           -> executing  dispatch(): a follower is ensured, and
  //                                                       this thread runs the routine with the
  //                                                       early cancels
  //   receiving  request complete, refused  -> done       reject kept as the reply: unknown
  //                                                       interface or opnum, no thread for a
  //                                                       follower (nca_s_server_too_busy)
  //   receiving  reassembly fails           -> done       reject kept as the reply: over budget_
  //                                                       (nca_s_server_too_busy), or malformed
  //                                                       (nca_s_proto_error)
  //   receiving  ping                       -> receiving  nocall: the request is not all here
  //   receiving  cl_cancel, fresh           -> receiving  an early cancel; cancel_ack accepting
  //                                                       [CS-DG-2]
  //   executing  request fragment           -> executing  working for an unfragmented request or
  //                                                       one asking a fack; never run again
  //                                                       [CS-DG-5]
  //   executing  ping                       -> executing  working [CS-DG-5]
  //   executing  cl_cancel, fresh           -> executing  posted to the running DgCall;
  //                                                       cancel_ack accepting [CS-DG-2]
  //   executing  complete() of its call     -> done       the reply sent and kept, CANCEL_PENDING
  //                                                       if a cancel went unobserved [CS-DG-4];
  //                                                       or, on ServerCrash, a cut-off first
  //                                                       datagram and crashed
  //   any        complete() of another call -> unchanged  the result is discarded
  //   done       request fragment           -> done       resend_reply() unless acknowledged
  //   done       ping                       -> done       resend_reply() unless acknowledged
  //   done       fack                       -> done       more of the reply, unless acknowledged
  //   done       ack                        -> done       reply_acknowledged; the reply is dropped
  //   done       cl_cancel                  -> done       cancel_ack not accepting
  //   receiving and executing answer a cl_cancel that is not fresh (its cancel_id no higher
  //   than the last) with a cancel_ack accepting and nothing else, and ignore fack and ack. A
  //   cl_cancel, ping, fack or ack of another seqnum or peer is answered as for no activity
  //   (cancel_ack not accepting, nocall, nothing). A cancel-deaf server ignores cl_cancel.
  // clang-format on
  enum class Phase : std::uint8_t { receiving, executing, done };
  struct Activity {
    std::uint32_t seqnum = 0;
    Phase phase = Phase::receiving;
    wire::ClCallReassembler reassembler;
    wire::ClPdu call;                 // the current call's header, for replies
    std::shared_ptr<DgCall> running;  // while executing
    DgSender reply;                   // once done: kept for retransmission until acknowledged
    bool reply_acknowledged = false;
    std::uint32_t last_cancel_id = 0;
    int early_cancels = 0;  // cl_cancel PDUs before the routine started
    DatagramPeer peer;      // where the activity's calls come from
    bool crashed = false;   // a routine raised ServerCrash: the activity is answered no more
    Duration last_seen{};
  };

  // Receives and answers datagrams until one starts a call (returned) or the server stops
  // (nullptr).
  std::shared_ptr<DgCall> lead();
  // Waits until this thread is to receive: no thread does, or the one that does runs a call
  // that has looked at its cancels or run for longer than kGrace. False when the server stops.
  bool follow(bool back_from_call);
  // Makes sure a thread will take over receiving; false when none can be started.
  bool ensure_follower();
  bool spawn_thread();

  void handle(const Bytes& bytes, const DatagramPeer& from);  // mu_ held
  void on_request(Activity& activity, const wire::ClPdu& pdu, const DatagramPeer& from);
  void on_cancel(Activity* activity, const wire::ClPdu& pdu, const DatagramPeer& from);
  void dispatch(Activity& activity, const wire::ClPdu& whole, const DatagramPeer& from);
  // The client lacks (part of) the reply of a call that has ended: sends some of it again.
  void resend_reply(Activity& activity, const DatagramPeer& to);
  // Adds a request fragment to the activity's call, within the endpoint's byte budget.
  Result<std::optional<wire::ClPdu>, wire::Error> reassemble(Activity& activity,
                                                             const wire::ClPdu& pdu);
  void forget_fragments(Activity& activity);    // before a reassembler is dropped
  void restart_reassembly(Activity& activity);  // a fresh reassembler, its bytes given back
  // Ends the call without running it: reject (kept for retransmission like any reply).
  void refuse(Activity& activity, std::uint32_t status, const DatagramPeer& from);
  Activity* find_or_create(const wire::ClPdu& pdu, const DatagramPeer& from);
  // The activity of `pdu` if it has one and `from` is its client's address.
  Activity* find_own(const wire::ClPdu& pdu, const DatagramPeer& from);
  void sweep(Duration now, bool force = false);  // drops idle activities
  void send(wire::ClPdu pdu, const DatagramPeer& to);
  void send_all(const std::vector<wire::ClPdu>& pdus, const DatagramPeer& to);

  std::shared_ptr<Server::Core> core_;
  std::unique_ptr<DatagramSocket> socket_;
  const transport::Protseq protseq_;
  const std::uint32_t boot_;  // server boot time in every reply

  const std::size_t budget_;  // bytes of request fragments held at once, all activities

  std::mutex mu_;  // the activity table; replies are sent under it, in order
  std::map<wire::Uuid, Activity> activities_;
  Duration last_sweep_{};
  std::size_t held_ = 0;  // bytes held by the activities' reassemblers
  // Found under mu_, acted on once it is released: events (an observer may be slow) and the call
  // the datagram just handled started.
  std::vector<ServerEvent> found_;
  std::shared_ptr<DgCall> started_;

  // Lock order: mu_, then pool_mu_; nothing is taken under pool_mu_. All guarded by pool_mu_;
  // the transitions of the threads' turns are in dg_leader.h.
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  LeaderTurns leader_;
  // When the call running on the receiving thread started, and when the last one did.
  std::chrono::steady_clock::time_point inline_since_;
  std::chrono::steady_clock::time_point last_inline_;
  bool watching_ = false;  // a follower waits with a timeout, watching the receiving thread
  std::size_t idle_ = 0;   // followers
  // Threads whose call has sent its reply and that are on their way back to follow: counted as
  // followers, since the client may send its next call before they arrive.
  std::size_t finishing_ = 0;
};

}  // namespace rpcfit::rpc
