// FaultyDatagrams: the DatagramSocket decorator that applies a FaultPlan's decisions to the
// datagrams one socket sends (principle 4: the plan decides per PDU, this applies, the plan's
// counters report).
//
// Faults are applied where a datagram is sent: send_to() decides each one, in the direction of
// the socket's side (client sockets client_to_server, server sockets server_to_client), and
// receive_from() passes through undecorated. One decorator on the client runtime covers c2s; a
// decorator on the server runtime too (sharing the plan) covers s2c.
//
// What send_to() does with a decided datagram (the Action order of fault_plan.h):
//  - blackhole, drop: not sent; send_to reports ok (a lost datagram, as on a network).
//  - corrupt then truncate: the changed bytes are sent.
//  - delay (latency, bandwidth): sent at its due time by the decorator's own timer thread (started
//    at the first delay, joined by close() and the destructor), without the caller calling again;
//    send_to reports ok at once. Delayed datagrams may overtake each other, as on a network; those
//    still waiting at close() are lost.
//  - hold (reorder): kept back and sent right after the next datagram of this socket that is
//    sent (now or, when delayed, at its due time); still held at close(): lost.
//  - duplicate: sent `copies` times.
//  - reset and slice are stream faults and have no effect here; the plan, which decides before
//    the decorator, still counts them, so give a datagram runtime a plan without them.
// A send of a datagram that is not a CO or CL PDU passes untouched.
//
// Threading: as DatagramSocket (concurrent send_to calls; close() overlaps nothing).
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "drivers/fault/fault_plan.h"
#include "harness/core/clock.h"
#include "harness/seams/datagram.h"

namespace rpcfit::fault {

class FaultyDatagrams final : public DatagramDecorator {
 public:
  // client_side: whether `inner` is a client's socket (see the directions above). The plan may be
  // shared by many sockets: its counters then add up over all of them.
  FaultyDatagrams(std::unique_ptr<DatagramSocket> inner, std::shared_ptr<FaultPlan> plan,
                  bool client_side, const Clock& clock);
  ~FaultyDatagrams() override;
  FaultyDatagrams(const FaultyDatagrams&) = delete;
  FaultyDatagrams& operator=(const FaultyDatagrams&) = delete;

  IoResult send_to(ByteView datagram, const DatagramPeer& to) override;
  void close() override;

 private:
  struct Pending {
    Bytes bytes;
    DatagramPeer to;
    unsigned copies = 1;
    bool hold = false;
  };
  // Sends (or holds) one decided datagram, then anything held; mu_ held.
  IoResult emit(const Pending& pending);
  void run_timer();
  void stop_timer();

  std::shared_ptr<FaultPlan> plan_;
  const Direction direction_;
  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> held_;
  std::multimap<Duration, Pending> delayed_;  // by due time; equal times keep their order
  bool stopping_ = false;
  std::thread timer_;
};

// The RuntimeOptions::datagram_decorator for a runtime's clients (client_side true) or servers
// (false): every socket is wrapped in a FaultyDatagrams sharing `plan` (and so its counters).
// `clock` must outlive the runtime.
std::function<std::unique_ptr<DatagramSocket>(std::unique_ptr<DatagramSocket>)>
datagram_decorator_for(std::shared_ptr<FaultPlan> plan, const Clock& clock, bool client_side);

}  // namespace rpcfit::fault
