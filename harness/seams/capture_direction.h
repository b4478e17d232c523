// Which way a teed PDU went, for sinks that see one client runtime's traffic. A stream's client
// is named by connection_opened; a datagram socket's client is the side that spoke first, since
// a client always sends before it receives.
#pragma once

#include <algorithm>
#include <vector>

#include "harness/seams/capture_sink.h"

namespace rpcfit {

class CaptureDirection {
 public:
  void opened(const Endpoint& client) { clients_.push_back(client); }
  // Whether `pdu` went from a client to its server. Not thread-safe: callers hold their lock.
  bool from_client(const CapturedPdu& pdu) {
    if (pdu.transport == TransportKind::udp && !known(pdu.src) && !known(pdu.dst)) {
      clients_.push_back(pdu.src);
    }
    return known(pdu.src);
  }

 private:
  bool known(const Endpoint& e) const {
    return std::find(clients_.begin(), clients_.end(), e) != clients_.end();
  }
  std::vector<Endpoint> clients_;
};

}  // namespace rpcfit
