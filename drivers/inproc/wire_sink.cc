#include "drivers/inproc/wire_sink.h"

#include <algorithm>

#include "harness/wire/codec.h"

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
  if (forward_ != nullptr) forward_->pdu(pdu);
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
  auto it = std::find_if(partial_.begin(), partial_.end(),
                         [&](const Partial& p) { return p.src == pdu.src && p.dst == pdu.dst; });
  if (it == partial_.end()) {
    // The usual case: a runtime writes whole PDUs.
    const auto frag = pdu.bytes.size() >= wire::kCoHeaderSize
                          ? wire::check_co_header(ByteView(pdu.bytes).first(wire::kCoHeaderSize))
                          : Result<std::size_t, wire::Error>(std::size_t{0});
    if (!frag || *frag == pdu.bytes.size()) {
      keep(pdu.time, out, pdu.transport, pdu.bytes);
      return;
    }
    it = partial_.insert(partial_.end(), Partial{pdu.src, pdu.dst, out, pdu.time, {}});
  }
  Bytes& buf = it->bytes;
  buf.insert(buf.end(), pdu.bytes.begin(), pdu.bytes.end());
  while (buf.size() >= wire::kCoHeaderSize) {
    const auto frag = wire::check_co_header(ByteView(buf).first(wire::kCoHeaderSize));
    if (!frag) {
      // No reader would trust this header: keep the bytes as they came.
      keep(pdu.time, out, pdu.transport, std::move(buf));
      buf.clear();
      break;
    }
    if (buf.size() < *frag) break;
    const auto end = buf.begin() + static_cast<std::ptrdiff_t>(*frag);
    keep(pdu.time, out, pdu.transport, Bytes(buf.begin(), end));
    buf.erase(buf.begin(), end);
  }
  if (buf.empty()) {
    partial_.erase(it);
  } else {
    it->last = pdu.time;
  }
}

void WireSink::connection_closed(Timestamp time, const Endpoint& closer, const Endpoint& peer) {
  std::lock_guard lock(mu_);
  // What was written of a PDU the connection did not live to finish, when it was written.
  std::erase_if(partial_, [&](Partial& p) {
    const bool on_this = (p.src == closer && p.dst == peer) || (p.src == peer && p.dst == closer);
    if (on_this) keep(p.last, p.out, TransportKind::tcp, std::move(p.bytes));
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

void WireSink::detach_forward() {
  std::lock_guard lock(mu_);
  forward_ = nullptr;
}

}  // namespace rpcfit::inproc
