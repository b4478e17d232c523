#include "drivers/transport/protseq.h"

#include <array>
#include <utility>

namespace rpcfit::transport {
namespace {
constexpr std::array<std::pair<Protseq, std::string_view>, 6> kNames{{
    {Protseq::ncacn_ip_tcp, "ncacn_ip_tcp"},
    {Protseq::ncacn_np, "ncacn_np"},
    {Protseq::ncalrpc, "ncalrpc"},
    {Protseq::ncacn_http, "ncacn_http"},
    {Protseq::ncadg_ip_udp, "ncadg_ip_udp"},
    {Protseq::ncadg_mq, "ncadg_mq"},
}};
}  // namespace

std::string_view protseq_name(Protseq p) {
  for (const auto& [value, name] : kNames) {
    if (value == p) return name;
  }
  return "?";
}

std::optional<Protseq> parse_protseq(std::string_view name) {
  for (const auto& [value, known] : kNames) {
    if (known == name) return value;
  }
  return std::nullopt;
}

bool cancel_capable(Protseq p) {
  switch (p) {
    case Protseq::ncacn_ip_tcp:
    case Protseq::ncacn_np:
    case Protseq::ncadg_ip_udp:
      return true;
    case Protseq::ncalrpc:
    case Protseq::ncacn_http:
    case Protseq::ncadg_mq:
      return false;
  }
  return false;
}

bool is_datagram(Protseq p) {
  return p == Protseq::ncadg_ip_udp || p == Protseq::ncadg_mq;
}

bool uses_ports(Protseq p) {
  return p == Protseq::ncacn_ip_tcp || p == Protseq::ncacn_http || p == Protseq::ncadg_ip_udp;
}

}  // namespace rpcfit::transport
