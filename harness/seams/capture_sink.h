// CaptureSink: where a runtime endpoint tees every PDU it sends or receives, with its time and
// endpoints. Memory in tests, a pcap file in runs (captures/pcap_writer.h).
#pragma once

#include "harness/core/bytes.h"
#include "harness/core/endpoint.h"

namespace rpcfit {

struct CapturedPdu {
  Timestamp time{};
  TransportKind transport = TransportKind::tcp;
  Endpoint src;
  Endpoint dst;
  // One whole PDU (CO fragment or CL datagram) as sent. Also, on a stream: a piece of one written
  // in pieces (the slice fault), or the bytes received that make no PDU (a header no reader
  // trusts, a PDU the peer closed the connection inside), so that the capture holds what was on
  // the wire.
  Bytes bytes;
};

class CaptureSink {
 public:
  virtual ~CaptureSink() = default;
  // A stream connection was established (client connected to server).
  virtual void connection_opened(Timestamp time, const Endpoint& client,
                                 const Endpoint& server) = 0;
  virtual void pdu(const CapturedPdu& pdu) = 0;
  // The side `closer` closed its end of the stream connection with `peer`.
  virtual void connection_closed(Timestamp time, const Endpoint& closer, const Endpoint& peer) = 0;
};

}  // namespace rpcfit
