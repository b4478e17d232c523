// One direction of a proxied TCP connection: reads the sender's bytes, frames them into CO PDUs,
// asks the connection's plan what to do with each and does it (proxy.h has the rules), and tees
// what it wrote. The two pumps of a connection share a TcpLink.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "drivers/fault/fault_plan.h"
#include "drivers/transport/fd_util.h"
#include "harness/seams/capture_sink.h"
#include "harness/seams/transport.h"
#include "harness/wire/stream.h"

namespace rpcfit::fault::proxy_internal {

using transport::internal::Fd;

// What both pumps of one connection share.
struct TcpLink {
  TcpLink(Fd client_fd, Endpoint client_endpoint, const Clock& c, CaptureSink* sink)
      : client(std::move(client_fd)), client_ep(client_endpoint), clock(c), capture(sink) {}

  // Ends both pumps; the connection's thread then closes the sockets with an RST (rst) or in
  // order. The first cut decides.
  void cut_connection(bool rst);
  bool is_cut() const { return cut.load(); }
  bool cut_with_reset() const { return rst.load(); }

  // Tees under tee_mu (the caller holds it for pdu(), so that a write and its tee are one step).
  void tee_pdu(Direction direction, const Bytes& bytes);
  void tee_opened();
  // `closer` closed its end towards the other side; once per side.
  void tee_closed(Direction from);

  // Woken by a cut and by the proxy's stop, and never consumed: every wait of the connection ends,
  // from then on too.
  Waker waker;
  Fd client;
  Fd upstream;
  // Per direction: the pump is between a wake-up and its next wait with nothing due before it
  // (settled() reads it after the sockets, so a PDU read is never missed in between).
  std::atomic<bool> busy[2] = {false, false};
  bool blackhole_keeps_close = false;  // ProxyOptions'; set before the pumps start
  mutable std::mutex fd_mu;
  bool closing = false;  // guarded by fd_mu
  // Nothing unread on either socket, and neither pump busy; a connection that is closing is.
  // Reads the sockets under fd_mu, which guards `upstream` being set and the sockets' closing.
  bool settled() const;
  // The connection's thread: `upstream` connected, and the sockets about to close.
  void set_upstream(Fd fd);
  void begin_closing();
  const Endpoint client_ep;
  Endpoint upstream_ep;
  const Clock& clock;
  CaptureSink* const capture;
  std::mutex tee_mu;

 private:
  std::atomic<bool> cut{false};
  std::atomic<bool> rst{false};
  bool closed_[2] = {false, false};  // guarded by tee_mu, indexed by Direction
};

class TcpPump {
 public:
  // `name` prefixes log lines ("connection 3 c2s").
  TcpPump(TcpLink& link, Direction direction, FaultPlan& plan, std::string name,
          std::function<void(const std::string&)> log);
  // Pumps until the sender's end of stream has been passed on, the connection is cut, or the
  // waker is woken.
  void run();

 private:
  enum class StepKind : std::uint8_t { write, cut };
  struct Step {
    StepKind kind = StepKind::write;
    Bytes bytes;
    Duration due{0};  // not before (scenario time)
    Duration gap{0};  // after the previous write of this direction
    bool tee = false;
    Bytes teed;       // a sliced PDU whole, teed when this (its last) write completes; else `bytes`
    bool rst = true;  // cut
  };
  enum class WriteOutcome : std::uint8_t { written, stopped, failed };

  void take(ByteView data);
  void decide(Bytes pdu, Duration now);
  void enqueue_raw(Bytes bytes, Duration now);
  void add_writes(const Bytes& pdu, const std::optional<Slicing>& slice, Duration due);
  void end_of_stream();
  void finish();
  // Runs the steps that are due; false when the pump must end.
  bool run_due_steps();
  Duration ready_time(const Step& step) const;
  WriteOutcome write(const Step& step);

  TcpLink& link_;
  const Direction direction_;
  FaultPlan& plan_;
  const std::string name_;
  const std::function<void(const std::string&)> log_;
  const int src_;
  const int dst_;

  wire::StreamSplitter splitter_;
  Bytes unframed_;           // bytes fed to the splitter and not yet cut into a PDU
  bool raw_ = false;         // stopped framing: forward everything as it comes
  bool blackholed_ = false;  // discard everything
  bool cut_queued_ = false;  // a reset is queued: discard what comes after
  bool src_eof_ = false;
  std::deque<Step> steps_;
  std::size_t queued_ = 0;  // bytes held by steps_
  Duration last_due_{0};
  std::optional<Duration> last_write_;
};

}  // namespace rpcfit::fault::proxy_internal
