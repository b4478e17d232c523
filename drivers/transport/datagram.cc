#include "drivers/transport/datagram.h"

#include "drivers/transport/mq_socket.h"
#include "drivers/transport/udp_socket.h"

namespace rpcfit::transport {
namespace {

Unexpected<std::string> not_datagram(Protseq protseq) {
  return unexpected(std::string(protseq_name(protseq)) + " is not a datagram protocol sequence");
}

Unexpected<std::string> no_clock() {
  return unexpected(std::string("transport context has no clock"));
}

}  // namespace

Result<DatagramClient, std::string> open_datagram(Protseq protseq, const std::string& host,
                                                  const std::string& endpoint,
                                                  const DatagramContext& context) {
  if (context.base.clock == nullptr) return no_clock();
  switch (protseq) {
    case Protseq::ncadg_ip_udp:
      return internal::open_udp(host, endpoint, context);
    case Protseq::ncadg_mq:
      return internal::open_mq(endpoint, context);
    case Protseq::ncacn_ip_tcp:
    case Protseq::ncacn_np:
    case Protseq::ncalrpc:
    case Protseq::ncacn_http:
      break;
  }
  return not_datagram(protseq);
}

Result<std::unique_ptr<DatagramSocket>, std::string> bind_datagram(Protseq protseq,
                                                                   const std::string& host,
                                                                   const std::string& endpoint,
                                                                   const DatagramContext& context) {
  if (context.base.clock == nullptr) return no_clock();
  switch (protseq) {
    case Protseq::ncadg_ip_udp:
      return internal::bind_udp(host, endpoint, context);
    case Protseq::ncadg_mq:
      return internal::bind_mq(endpoint, context);
    case Protseq::ncacn_ip_tcp:
    case Protseq::ncacn_np:
    case Protseq::ncalrpc:
    case Protseq::ncacn_http:
      break;
  }
  return not_datagram(protseq);
}

}  // namespace rpcfit::transport
