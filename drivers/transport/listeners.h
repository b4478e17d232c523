// Listener factories behind transport::listen().
#pragma once

#include <memory>
#include <string>

#include "drivers/transport/transport.h"

namespace rpcfit::transport::internal {

// ncacn_ip_tcp and ncacn_http.
Result<std::unique_ptr<StreamListener>, std::string> listen_tcp(Protseq protseq,
                                                                const std::string& host,
                                                                const std::string& endpoint,
                                                                const TransportContext& context);
// ncacn_np and ncalrpc; `run_dir` has passed ensure_private_dir().
Result<std::unique_ptr<StreamListener>, std::string> listen_unix(
    Protseq protseq, const std::string& endpoint, const std::filesystem::path& run_dir,
    const TransportContext& context);

}  // namespace rpcfit::transport::internal
