// WireSink: the client runtime's capture sink in an in-process session. It keeps the client's
// view of the wire (WirePdu, with its direction) and passes every callback on, unchanged, to the
// run's own sink (a pcap writer) while the session lasts.
//
// A stream's bytes are kept as the receiver and Wireshark see them: a PDU written in pieces (the
// slice fault) is one WirePdu, stamped when its last byte was written; bytes whose header no
// reader would trust are kept as they were written, so the checks report them malformed; the
// start of a PDU its connection closed before it ended is kept when the connection closes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>

#include "harness/core/clock.h"
#include "harness/model/observation.h"
#include "harness/seams/capture_direction.h"
#include "harness/seams/capture_sink.h"
#include "harness/wire/stream.h"

namespace rpcfit::inproc {

class WireSink final : public CaptureSink {
 public:
  // `forward` may be null; `clock` is the client runtime's, whose wall() stamps the PDUs.
  WireSink(const Clock& clock, CaptureSink* forward) : clock_(clock), forward_(forward) {}

  void connection_opened(Timestamp time, const Endpoint& client, const Endpoint& server) override;
  void pdu(const CapturedPdu& pdu) override;
  void connection_closed(Timestamp time, const Endpoint& closer, const Endpoint& peer) override;

  std::vector<run::WirePdu> pdus() const;
  // Until `done(pdus)` holds; false after `patience` (real time).
  bool wait_until(const std::function<bool(const std::vector<run::WirePdu>&)>& done,
                  std::chrono::milliseconds patience) const;
  // Stops forwarding: the run's sink may go with the session, while a call stuck past it may
  // still send.
  void detach_forward();
  // From now on forwards only what the client sends: the client has ended its calls and reads no
  // more, so what reaches it after is not what it received.
  void forward_client_only();

 private:
  const Clock& clock_;
  mutable std::mutex mu_;  // also serializes the forwarded callbacks
  mutable std::condition_variable cv_;
  CaptureSink* forward_;
  bool client_only_ = false;
  // One direction of a stream connection, cut into PDUs as a receiver cuts it.
  struct Stream {
    Endpoint src;
    Endpoint dst;
    bool out = true;
    Timestamp last{};  // when bytes were last written to it
    wire::StreamSplitter splitter;
  };
  void keep(Timestamp time, bool out, TransportKind transport, Bytes bytes);  // holds mu_
  void take_stream_bytes(const CapturedPdu& pdu, bool out);                   // holds mu_

  CaptureDirection direction_;
  std::vector<run::WirePdu> pdus_;
  std::vector<Stream> streams_;
};

}  // namespace rpcfit::inproc
