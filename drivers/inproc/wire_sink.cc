#include "drivers/inproc/wire_sink.h"

#include <algorithm>

namespace rpcfit::inproc {

void WireSink::connection_opened(Timestamp time, const Endpoint& client, const Endpoint& server) {
  std::lock_guard lock(mu_);
  direction_.opened(client);
  if (forward_ != nullptr) forward_->connection_opened(time, client, server);
}

void WireSink::pdu(const CapturedPdu& pdu) {
  std::lock_guard lock(mu_);
  const bool out = direction_.from_client(pdu);
  if (pdu.transport == TransportKind::tcp) {
    take_stream_bytes(pdu, out);
  } else {
    keep(pdu.time, out, pdu.transport, pdu.bytes);
  }
  if (forward_ != nullptr && (out || !client_only_)) forward_->pdu(pdu);
}

void WireSink::keep(Timestamp time, bool out, TransportKind transport, Bytes bytes) {
  run::WirePdu seen;
  // Transports stamp with clock.wall(now), so this is the clock's reading when the PDU was teed.
  seen.at = time - clock_.wall(Duration{0});
  seen.out = out;
  seen.transport = transport;
  seen.bytes = std::move(bytes);
  pdus_.push_back(std::move(seen));
  cv_.notify_all();
}

void WireSink::take_stream_bytes(const CapturedPdu& pdu, bool out) {
  auto it = std::find_if(streams_.begin(), streams_.end(),
                         [&](const Stream& s) { return s.src == pdu.src && s.dst == pdu.dst; });
  if (it == streams_.end()) {
    it = streams_.insert(streams_.end(), Stream{pdu.src, pdu.dst, out, {}, wire::StreamSplitter()});
  }
  it->last = pdu.time;
  wire::StreamSplitter& splitter = it->splitter;
  splitter.feed(pdu.bytes);
  while (auto next = splitter.next()) {
    if (!next->ok()) {
      // No reader would trust this header: keep the bytes as they came.
      const ByteView rest = splitter.pending();
      keep(pdu.time, out, pdu.transport, Bytes(rest.begin(), rest.end()));
      splitter.resync(splitter.position() + rest.size());
      return;
    }
    keep(pdu.time, out, pdu.transport, std::move(next->value().bytes));
  }
}

void WireSink::connection_closed(Timestamp time, const Endpoint& closer, const Endpoint& peer) {
  std::lock_guard lock(mu_);
  // What was written of a PDU the connection did not live to finish, when it was written.
  std::erase_if(streams_, [&](const Stream& s) {
    const bool on_this = (s.src == closer && s.dst == peer) || (s.src == peer && s.dst == closer);
    if (on_this && s.splitter.buffered() > 0) {
      const ByteView rest = s.splitter.pending();
      keep(s.last, s.out, TransportKind::tcp, Bytes(rest.begin(), rest.end()));
    }
    return on_this;
  });
  if (forward_ != nullptr) forward_->connection_closed(time, closer, peer);
}

std::vector<run::WirePdu> WireSink::pdus() const {
  std::lock_guard lock(mu_);
  return pdus_;
}

bool WireSink::wait_until(const std::function<bool(const std::vector<run::WirePdu>&)>& done,
                          std::chrono::milliseconds patience) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, patience, [&] { return done(pdus_); });
}

void WireSink::forward_client_only() {
  std::lock_guard lock(mu_);
  client_only_ = true;
}

void WireSink::detach_forward() {
  std::lock_guard lock(mu_);
  forward_ = nullptr;
}

}  // namespace rpcfit::inproc
