#include "drivers/transport/protseq.h"

#include <array>
#include <utility>

namespace rpcfit::transport {
namespace {
constexpr std::array<std::pair<Protseq, std::string_view>, 4> kNames{{
    {Protseq::ncacn_ip_tcp, "ncacn_ip_tcp"},
    {Protseq::ncacn_np, "ncacn_np"},
    {Protseq::ncalrpc, "ncalrpc"},
    {Protseq::ncacn_http, "ncacn_http"},
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
      return true;
    case Protseq::ncalrpc:
    case Protseq::ncacn_http:
      return false;
  }
  return false;
}

}  // namespace rpcfit::transport
