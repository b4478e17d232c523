// ncadg_ip_udp sockets behind open_datagram() and bind_datagram() (datagram.h).
#pragma once

#include <memory>
#include <string>

#include "drivers/transport/datagram.h"

namespace rpcfit::transport::internal {

// A client socket connected to host:port, so that an ICMP port unreachable reaches it.
Result<DatagramClient, std::string> open_udp(const std::string& host, const std::string& port,
                                             const DatagramContext& context);

// A server socket bound to host:port ("" or "0": any free port).
Result<std::unique_ptr<DatagramSocket>, std::string> bind_udp(const std::string& host,
                                                              const std::string& port,
                                                              const DatagramContext& context);

}  // namespace rpcfit::transport::internal
