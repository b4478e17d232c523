// String bindings, as RpcStringBindingParse reads them:
//   [object-uuid@]protseq:[network-address][[endpoint][,option=value]...]
// e.g. ncacn_ip_tcp:127.0.0.1[49731], ncacn_np:[\\pipe\\rpcfit], ncalrpc:[rpcfit-lrpc].
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "drivers/transport/protseq.h"
#include "harness/core/result.h"
#include "harness/core/status.h"

namespace rpcfit::rpc {

struct StringBinding {
  std::optional<std::string> object_uuid;
  transport::Protseq protseq = transport::Protseq::ncacn_ip_tcp;
  std::string network_address;  // may be empty (local host)
  std::string endpoint;         // may be empty (dynamic endpoint: not resolved by this runtime)
  std::map<std::string, std::string> options;

  std::string to_string() const;
};

// RPC_S_PROTSEQ_NOT_SUPPORTED for a well-formed binding on a protocol sequence this runtime does
// not speak; RPC_S_INVALID_BINDING for anything malformed.
Result<StringBinding, RpcStatus> parse_string_binding(std::string_view text);

// The binding of an endpoint on this host as Server::listen names it: protseq:127.0.0.1[port] for
// a protocol sequence addressed by port, protseq:[name] for the others.
std::string local_binding(transport::Protseq protseq, const std::string& endpoint);

}  // namespace rpcfit::rpc
