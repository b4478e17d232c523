#include "drivers/inproc/wire_sink.h"

namespace rpcfit::inproc {

void WireSink::connection_opened(Timestamp time, const Endpoint& client, const Endpoint& server) {
  std::lock_guard lock(mu_);
  direction_.opened(client);
  if (forward_ != nullptr) forward_->connection_opened(time, client, server);
}

void WireSink::pdu(const CapturedPdu& pdu) {
  run::WirePdu seen;
  // Transports stamp with clock.wall(now), so this is the clock's reading when the PDU was teed.
  seen.at = pdu.time - clock_.wall(Duration{0});
  seen.transport = pdu.transport;
  seen.bytes = pdu.bytes;
  std::lock_guard lock(mu_);
  seen.out = direction_.from_client(pdu);
  pdus_.push_back(std::move(seen));
  if (forward_ != nullptr) forward_->pdu(pdu);
  cv_.notify_all();
}

void WireSink::connection_closed(Timestamp time, const Endpoint& closer, const Endpoint& peer) {
  std::lock_guard lock(mu_);
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
