// Protocol sequences the runtime speaks, their names and properties.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace rpcfit::transport {

enum class Protseq : std::uint8_t {
  ncacn_ip_tcp,
  ncacn_np,
  ncalrpc,
  ncacn_http,
  ncadg_ip_udp,
  ncadg_mq,
};

std::string_view protseq_name(Protseq p);
// nullopt for a name this runtime does not speak.
std::optional<Protseq> parse_protseq(std::string_view name);
// Whether RpcCancelThreadEx may cancel a call on it (spec section 1: ncacn_http, ncalrpc and
// ncadg_mq cannot be cancelled).
bool cancel_capable(Protseq p);
// Whether it carries the connectionless protocol (ncadg_*) rather than the connection-oriented one.
bool is_datagram(Protseq p);
// Whether its endpoints are a host and a port (ncacn_ip_tcp, ncacn_http, ncadg_ip_udp) rather
// than a name (ncacn_np, ncalrpc, ncadg_mq).
bool uses_ports(Protseq p);

}  // namespace rpcfit::transport
