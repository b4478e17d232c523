// Test scaffolding for the fault proxy: an rpcfit server with the test interface (a Pair at scale
// 0.1), a Proxy in front of it on the Pair's clock, and a binding of the Pair's client runtime to
// the proxy.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "drivers/fault/proxy/proxy.h"
#include "drivers/runtime/runtime_test_util.h"

namespace rpcfit::fault::testing {

std::vector<FaultSpec> faults(std::initializer_list<const char*> texts);

// Waits until `capture` holds exactly `n` PDUs of `type` (false after kPatience, or when it holds
// more): the proxy tees a PDU just after writing it, so its receiver may have it first.
bool wait_teed(const rpc::testing::MemoryCapture& capture, const std::string& type, std::size_t n);

struct Proxied {
  Proxied(transport::Protseq protseq, std::vector<FaultSpec> specs, std::uint64_t seed = 1,
          rpc::BindingOptions binding_options = {});
  ~Proxied();

  std::uint16_t upstream_port() const;
  // A call of the test interface through the proxy.
  Bytes call(std::uint16_t opnum, const Bytes& input);
  RpcStatus raised_by_call(std::uint16_t opnum, const Bytes& input);

  rpc::testing::Pair pair;                    // the server, and the client runtime and its capture
  rpc::testing::MemoryCapture proxy_capture;  // what left the proxy, client <-> upstream
  std::unique_ptr<Proxy> proxy;
  std::shared_ptr<rpc::Binding> binding;  // the Pair's client runtime, through the proxy
};

}  // namespace rpcfit::fault::testing
