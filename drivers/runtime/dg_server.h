// The server side of the connectionless protocol on one datagram endpoint: a receive thread that
// keeps a record per client activity (C706's server activity table) and answers requests,
// pings, cl_cancel, fack and ack; each call's manager routine runs on a worker thread of its
// own, so the receive thread keeps answering pings (working) and cancels while it runs.
//
// At most once (CS-DG-5): an activity runs the call of a sequence number once. A duplicate
// request fragment of a call that is executing is answered with working; one of a call that has
// ended gets the saved response again, until the client acknowledges it (ack, or a request with
// a higher sequence number) or the activity has been idle for kActivityRetention.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "drivers/runtime/dg_flow.h"
#include "drivers/runtime/server_core.h"
#include "harness/seams/datagram.h"
#include "harness/wire/fragment.h"

namespace rpcfit::rpc {

class DgCall;

class DgEndpoint : public std::enable_shared_from_this<DgEndpoint> {
 public:
  DgEndpoint(std::shared_ptr<Server::Core> core, std::unique_ptr<DatagramSocket> socket,
             transport::Protseq protseq);
  ~DgEndpoint();
  DgEndpoint(const DgEndpoint&) = delete;
  DgEndpoint& operator=(const DgEndpoint&) = delete;

  void run();      // the receive thread, until the server stops
  void abandon();  // from stop(): calls still running send untapped
  std::string endpoint() const { return socket_->endpoint(); }
  transport::Protseq protseq() const { return protseq_; }
  Server::Core& core() const { return *core_; }

  // From a call's worker: the routine ended; sends and keeps its reply unless the client has
  // moved on from the call.
  void complete(const DgCall& call, RoutineOutcome outcome, const ServerCall::State& state);

 private:
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
    DatagramPeer peer;      // where the latest datagram of the activity came from
    Duration last_seen{};
  };

  void handle(const Bytes& bytes, const DatagramPeer& from);  // mu_ held
  void on_request(Activity& activity, const wire::ClPdu& pdu, const DatagramPeer& from);
  void on_cancel(Activity* activity, const wire::ClPdu& pdu, const DatagramPeer& from);
  void dispatch(Activity& activity, const wire::ClPdu& whole, const DatagramPeer& from);
  // The client lacks (part of) the reply of a call that has ended: sends it again.
  void resend_reply(Activity& activity, const DatagramPeer& to);
  // Ends the call without running it: reject (kept for retransmission like any reply).
  void refuse(Activity& activity, std::uint32_t status, const DatagramPeer& from);
  Activity* find_or_create(const wire::ClPdu& pdu);
  void sweep(Duration now, bool force = false);  // drops idle activities
  void send(wire::ClPdu pdu, const DatagramPeer& to);
  void send_all(const std::vector<wire::ClPdu>& pdus, const DatagramPeer& to);

  std::shared_ptr<Server::Core> core_;
  std::unique_ptr<DatagramSocket> socket_;
  const transport::Protseq protseq_;
  const std::uint32_t boot_;  // server boot time in every reply

  std::mutex mu_;  // the activity table; replies are sent under it, in order
  std::map<std::string, Activity> activities_;
  Duration last_sweep_{};
  // Events found under mu_, reported once it is released (an observer may be slow).
  std::vector<ServerEvent> found_;
};

}  // namespace rpcfit::rpc
