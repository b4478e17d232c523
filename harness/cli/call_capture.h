// The capture sinks of `rpcfit call`: a recorder of the PDUs the client runtime exchanged, and a
// tee that hands every event to several sinks (the recorder and, with --capture, a pcap writer).
#pragma once

#include <mutex>
#include <vector>

#include "captures/capture_reader.h"
#include "harness/seams/capture_direction.h"
#include "harness/seams/capture_sink.h"

namespace rpcfit::cli {

// Forwards every event to each added sink, in the order added. add() is not synchronised with
// the events: add every sink before traffic starts.
class TeeSink final : public CaptureSink {
 public:
  void add(CaptureSink* sink) { sinks_.push_back(sink); }
  void connection_opened(Timestamp time, const Endpoint& client, const Endpoint& server) override;
  void pdu(const CapturedPdu& pdu) override;
  void connection_closed(Timestamp time, const Endpoint& closer, const Endpoint& peer) override;

 private:
  std::vector<CaptureSink*> sinks_;
};

// Records the PDUs of a client runtime's connections and datagram sockets, each with its
// direction (CaptureDirection). Thread-safe.
class PduRecorder final : public CaptureSink {
 public:
  void connection_opened(Timestamp time, const Endpoint& client, const Endpoint& server) override;
  void pdu(const CapturedPdu& pdu) override;
  void connection_closed(Timestamp, const Endpoint&, const Endpoint&) override {}

  // The PDUs so far as the capture reader would give them: numbered from 1 (`frame`), decoded,
  // direction to_server for those the client sent.
  std::vector<captures::ReadPdu> pdus() const;

 private:
  mutable std::mutex mu_;
  CaptureDirection direction_;
  std::vector<CapturedPdu> pdus_;
  std::vector<bool> from_client_;  // of each of pdus_
};

}  // namespace rpcfit::cli
