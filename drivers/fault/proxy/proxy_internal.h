// The two proxy implementations behind Proxy::start (options already checked).
#pragma once

#include <memory>
#include <string>

#include "drivers/fault/proxy/proxy.h"

namespace rpcfit::fault::proxy_internal {

Result<std::unique_ptr<Proxy>, std::string> start_tcp(ProxyOptions options);
Result<std::unique_ptr<Proxy>, std::string> start_udp(ProxyOptions options);

}  // namespace rpcfit::fault::proxy_internal
