// FaultyStream: the transport decorator that applies a FaultPlan's decisions to one stream
// connection (principle 4: the plan decides per PDU, this applies, the plan's counters report).
//
// Directions: a decorator on the client side sends client_to_server and receives
// server_to_client; on the server side the other way round. Putting it on one side covers both
// directions of that connection, so a runtime pair needs it on one side only. Or, with
// `sending_only`, a decorator on each side applies only what its side sends: then what a
// receiving runtime tees to its capture sink is what the fault let through (the in-process
// driver does that, so that a scenario's wire shows what the client really received).
//
// Sending (queue decides, flush applies, in the order of fault_plan.h's Action):
//  - blackhole and drop: the PDU is never written; flush reports ok and bytes_written() counts it
//    as written (the sender believes it left, so a lost request is not "did not execute").
//  - corrupt then truncate change the bytes before they are written.
//  - delay (latency, bandwidth): flush waits until the due time, measured from queue(); delays
//    queue, so a later PDU never overtakes an earlier one. A flush whose deadline or waker comes
//    first returns timed_out / woken and keeps its progress, like any flush.
//  - reset: min(offset, size) bytes of the PDU are written (sliced if slice is set), then the inner
//    connection is cut: abort() for rst (a TCP peer sees a reset once it is closed), interrupt()
//    for close (an orderly end); that flush and every later call fail ("connection reset
//    (fault)").
//  - slice: the PDU is written as separate queue()+flush() calls on the inner connection, one per
//    segment, `gap` apart. The inner transport tees each queued chunk as one PDU, so a pcap shows
//    the segments as short TCP segments, and a MemoryCapture records them as undecodable ("?")
//    PDUs: the wire bytes are right, the capture's PDU view is not.
//  - duplicate: the PDU is written `copies` times.
//
// Receiving (receive / try_receive decide each PDU the inner splitter framed):
//  - drop: skipped, the next one is read; blackhole: nothing more is delivered, receive waits
//    for its deadline or waker (interrupt() still ends it).
//  - corrupt / truncate: the receiver gets the changed bytes (already framed by the inner
//    splitter, so a truncated frame is delivered short, not re-framed).
//  - delay: held and delivered at its due time, in order; duplicate: delivered twice.
//  - reset: the connection fails at that PDU (offset is ignored: a receiver sees whole frames).
//  - slice: no effect (the receiver reassembles frames anyway).
//
// reorder is a datagram fault: stream_decorator_for() refuses a plan that uses it, so that the
// plan's counters never report a reorder that no stream could apply.
//
// Threading: as StreamConnection (one sender thread, one receiver thread, interrupt() from any).
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include "drivers/fault/fault_plan.h"
#include "harness/core/clock.h"
#include "harness/seams/transport.h"

namespace rpcfit::fault {

// Step 3 of an Action (fault_plan.h): its corruptions in order, then its truncation. A corruption
// the PDU's header refuses leaves the bytes as they were.
void edit_pdu(Bytes& pdu, const Action& action);

class FaultyStream final : public StreamConnection {
 public:
  // client_side: which end `inner` is (see the directions above). The plan may be shared by many
  // connections: its counters then add up over all of them.
  FaultyStream(std::unique_ptr<StreamConnection> inner, std::shared_ptr<FaultPlan> plan,
               bool client_side, const Clock& clock, bool sending_only = false);
  ~FaultyStream() override;
  FaultyStream(const FaultyStream&) = delete;
  FaultyStream& operator=(const FaultyStream&) = delete;

  void queue(Bytes pdu) override;
  IoResult flush(const Deadline& deadline, const Waker* waker) override;
  std::size_t bytes_written() const override;
  IoResult receive(Bytes& pdu, const Deadline& deadline, const Waker* waker) override;
  IoResult try_receive(Bytes& pdu) override;
  void interrupt() override;
  void abort() override;
  void close() override;
  void detach_capture() override { inner_->detach_capture(); }
  Endpoint local_endpoint() const override { return inner_->local_endpoint(); }
  Endpoint peer_endpoint() const override { return inner_->peer_endpoint(); }

 private:
  // One thing flush() does, in order: write bytes (not before `due`, and `gap` after the previous
  // step), account for a swallowed PDU, or cut the connection.
  enum class StepKind : std::uint8_t { write, swallow, cut };
  struct Step {
    StepKind kind = StepKind::write;
    Bytes bytes;
    std::size_t swallowed = 0;
    Duration due{0};
    Duration gap{0};
    std::optional<Duration> ready;  // when the step may run, fixed when it reaches the head
    bool rst = true;                // cut: abortively
  };
  struct Held {
    Bytes bytes;
    Duration due{0};
  };
  void add_writes(Bytes bytes, const Action& action, Duration due);
  // Waits until `until` (scenario time; nullopt: forever), the deadline, the waker or
  // interrupt(): ok when `until` came first.
  IoResult wait_until(Deadline until, const Deadline& deadline, const Waker* waker) const;
  // One step of the receive path: nullopt when it should look again at once.
  std::optional<IoResult> receive_step(Bytes& pdu, const Deadline* deadline, const Waker* waker);
  void cut(bool rst);

  std::unique_ptr<StreamConnection> inner_;
  std::shared_ptr<FaultPlan> plan_;
  const Direction send_dir_;
  const Direction receive_dir_;
  const bool sending_only_;
  const Clock& clock_;
  int wake_fd_ = -1;  // an eventfd that interrupt() signals, ending our own waits
  std::atomic<bool> cut_{false};
  // Send path.
  std::deque<Step> steps_;
  bool inner_pending_ = false;  // a write step queued on inner_ but not yet flushed whole
  std::atomic<std::size_t> swallowed_{0};
  // Receive path.
  std::deque<Held> held_;
  bool receive_blackholed_ = false;
};

// The RuntimeOptions::stream_decorator for a runtime: every connection it opens or accepts is
// wrapped in a FaultyStream sharing `plan` (and so its counters), applying what it sends only
// when `sending_only` (give it to both runtimes then). `clock` must outlive the runtime. Throws
// std::invalid_argument when the plan uses reorder.
std::function<std::unique_ptr<StreamConnection>(std::unique_ptr<StreamConnection>, bool)>
stream_decorator_for(std::shared_ptr<FaultPlan> plan, const Clock& clock,
                     bool sending_only = false);

}  // namespace rpcfit::fault
