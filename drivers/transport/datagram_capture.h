// Teeing of datagrams to a CaptureSink, shared by the datagram sockets (udp_socket.h,
// mq_socket.h): every datagram appears as UDP between the socket's capture endpoint and its peer.
#pragma once

#include <mutex>

#include "harness/core/clock.h"
#include "harness/seams/capture_sink.h"
#include "harness/seams/transport.h"

namespace rpcfit::transport::internal {

// Threading: any thread may send, receive or detach; the sink is called under one lock, so it
// sees one datagram at a time.
class DatagramTee {
 public:
  DatagramTee(const Clock& clock, CaptureSink* sink, Endpoint local)
      : clock_(clock), sink_(sink), local_(local) {}

  // Runs `send` (returning IoResult) and tees the datagram once it returns ok. The send runs
  // under the capture lock, which the receive path takes to tee: a reply to this datagram,
  // received by another thread, is teed after it.
  template <class Send>
  IoResult send(ByteView datagram, const Endpoint& dst, Send&& send) {
    std::lock_guard lock(mu_);
    IoResult result = send();
    if (result.ok() && sink_ != nullptr) {
      sink_->pdu(CapturedPdu{clock_.wall_now(), TransportKind::udp, local_, dst,
                             Bytes(datagram.begin(), datagram.end())});
    }
    return result;
  }

  void received(ByteView datagram, const Endpoint& src) {
    std::lock_guard lock(mu_);
    if (sink_ == nullptr) return;
    sink_->pdu(CapturedPdu{clock_.wall_now(), TransportKind::udp, src, local_,
                           Bytes(datagram.begin(), datagram.end())});
  }

  void detach() {
    std::lock_guard lock(mu_);
    sink_ = nullptr;
  }

  const Endpoint& local() const { return local_; }

 private:
  const Clock& clock_;
  std::mutex mu_;
  CaptureSink* sink_;  // guarded by mu_
  const Endpoint local_;
};

}  // namespace rpcfit::transport::internal
