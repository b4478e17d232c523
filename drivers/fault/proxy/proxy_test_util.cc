#include "drivers/fault/proxy/proxy_test_util.h"

#include "drivers/runtime/rpc.h"
#include "drivers/runtime/test_interface.h"

namespace rpcfit::fault::testing {

std::vector<FaultSpec> faults(std::initializer_list<const char*> texts) {
  std::vector<FaultSpec> out;
  for (const char* text : texts) {
    auto spec = parse_fault(text);
    EXPECT_TRUE(spec.ok()) << text << ": " << (spec.ok() ? "" : spec.error());
    if (spec) out.push_back(*spec);
  }
  return out;
}

bool wait_teed(const rpc::testing::MemoryCapture& capture, const std::string& type, std::size_t n) {
  // The predicate runs under the capture's lock: it counts `pdus`, not through count().
  return capture.wait_until([&](const std::vector<rpc::testing::SeenPdu>& pdus) {
    std::size_t seen = 0;
    for (const auto& p : pdus)
      seen += p.type == type ? 1u : 0u;
    return seen >= n;
  }) && capture.count(type) == n;
}

Proxied::Proxied(transport::Protseq protseq, std::vector<FaultSpec> specs, std::uint64_t seed,
                 rpc::BindingOptions binding_options)
    : pair(protseq), proxy_capture(pair.clock) {
  const bool udp = protseq == transport::Protseq::ncadg_ip_udp;
  ProxyOptions options;
  options.listen = Endpoint{IpAddress::loopback_v4(), 0};
  options.upstream = Endpoint{IpAddress::loopback_v4(), upstream_port()};
  options.transport = udp ? ProxyTransport::udp : ProxyTransport::tcp;
  options.faults = std::move(specs);
  options.seed = seed;
  options.clock = &pair.clock;
  options.capture = &proxy_capture;
  auto started = Proxy::start(std::move(options));
  if (!started) {
    ADD_FAILURE() << "proxy: " << started.error();
    return;
  }
  proxy = std::move(*started);
  const std::string text = std::string(udp ? "ncadg_ip_udp" : "ncacn_ip_tcp") + ":127.0.0.1[" +
                           std::to_string(proxy->listening().port) + "]";
  auto made = rpc::Binding::from_string(*pair.client, text, binding_options);
  if (!made) {
    ADD_FAILURE() << "binding " << text << ": " << rpc::status_text(made.error());
    return;
  }
  binding = *made;
}

Proxied::~Proxied() {
  binding.reset();
  if (proxy) proxy->stop();
}

std::uint16_t Proxied::upstream_port() const {
  return static_cast<std::uint16_t>(std::stoul(pair.endpoint));
}

Bytes Proxied::call(std::uint16_t opnum, const Bytes& input) {
  return binding->call(rpc::test_interface_id(), opnum, input);
}

RpcStatus Proxied::raised_by_call(std::uint16_t opnum, const Bytes& input) {
  return rpc::testing::raised_by([&] { call(opnum, input); });
}

}  // namespace rpcfit::fault::testing
