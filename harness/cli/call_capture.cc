#include "harness/cli/call_capture.h"

#include <algorithm>

#include "harness/wire/codec.h"

namespace rpcfit::cli {

void TeeSink::connection_opened(Timestamp time, const Endpoint& client, const Endpoint& server) {
  for (CaptureSink* sink : sinks_)
    sink->connection_opened(time, client, server);
}

void TeeSink::pdu(const CapturedPdu& pdu) {
  for (CaptureSink* sink : sinks_)
    sink->pdu(pdu);
}

void TeeSink::connection_closed(Timestamp time, const Endpoint& closer, const Endpoint& peer) {
  for (CaptureSink* sink : sinks_)
    sink->connection_closed(time, closer, peer);
}

void PduRecorder::connection_opened(Timestamp, const Endpoint& client, const Endpoint&) {
  std::lock_guard lock(mu_);
  direction_.opened(client);
}

void PduRecorder::pdu(const CapturedPdu& pdu) {
  std::lock_guard lock(mu_);
  from_client_.push_back(direction_.from_client(pdu));
  pdus_.push_back(pdu);
}

std::vector<captures::ReadPdu> PduRecorder::pdus() const {
  std::lock_guard lock(mu_);
  std::vector<captures::ReadPdu> out;
  out.reserve(pdus_.size());
  for (std::size_t i = 0; i < pdus_.size(); ++i) {
    const CapturedPdu& seen = pdus_[i];
    captures::ReadPdu pdu;
    pdu.frame = out.size() + 1;
    pdu.time = seen.time;
    pdu.transport = seen.transport;
    pdu.src = seen.src;
    pdu.dst = seen.dst;
    pdu.direction =
        from_client_[i] ? captures::Direction::to_server : captures::Direction::to_client;
    pdu.bytes = seen.bytes;
    if (auto decoded = wire::decode(seen.bytes)) {
      pdu.decoded = std::move(*decoded);
    } else {
      pdu.decoded = decoded.error();
    }
    out.push_back(std::move(pdu));
  }
  return out;
}

}  // namespace rpcfit::cli
