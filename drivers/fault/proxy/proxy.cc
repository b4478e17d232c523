#include "drivers/fault/proxy/proxy.h"

#include "drivers/fault/proxy/proxy_internal.h"
#include "harness/core/random.h"

namespace rpcfit::fault {

std::string_view proxy_transport_name(ProxyTransport transport) {
  switch (transport) {
    case ProxyTransport::tcp:
      return "tcp";
    case ProxyTransport::udp:
      return "udp";
  }
  return "?";
}

namespace {

// Why `kind` cannot be applied by a proxy on `transport`; empty when it can.
std::string refusal(ProxyTransport transport, FaultKind kind) {
  switch (kind) {
    case FaultKind::reorder:
      if (transport == ProxyTransport::tcp) {
        return "reorder does not apply to a TCP proxy (a stream keeps its order); use --udp";
      }
      return {};
    case FaultKind::reset:
    case FaultKind::slice:
      if (transport == ProxyTransport::udp) {
        return std::string(fault_kind_name(kind)) +
               " does not apply to a UDP proxy (it is a stream fault)";
      }
      return {};
    case FaultKind::latency:
    case FaultKind::drop:
    case FaultKind::duplicate:
    case FaultKind::truncate:
    case FaultKind::corrupt:
    case FaultKind::blackhole:
    case FaultKind::bandwidth:
      return {};
  }
  return {};
}

}  // namespace

Result<bool, std::string> check_faults(ProxyTransport transport,
                                       const std::vector<FaultSpec>& faults) {
  for (const auto& spec : faults) {
    auto valid = validate(spec);
    if (!valid) return unexpected(valid.error());
    const std::string why = refusal(transport, spec.kind);
    if (!why.empty()) return unexpected("fault \"" + to_string(spec) + "\": " + why);
  }
  return true;
}

Result<std::unique_ptr<Proxy>, std::string> Proxy::start(ProxyOptions options) {
  auto checked = check_faults(options.transport, options.faults);
  if (!checked) return unexpected(checked.error());
  if (!options.unix_listen.empty() && options.transport != ProxyTransport::tcp) {
    return unexpected(std::string("a proxy over Unix sockets carries streams only"));
  }
  if (options.unix_listen.empty() != options.unix_upstream.empty()) {
    return unexpected(std::string("a proxy over Unix sockets needs both of its socket files"));
  }
  if (options.upstream.port == 0) {
    return unexpected("upstream " + options.upstream.to_string() + ": port 0 is not an address");
  }
  switch (options.transport) {
    case ProxyTransport::tcp:
      return proxy_internal::start_tcp(std::move(options));
    case ProxyTransport::udp:
      return proxy_internal::start_udp(std::move(options));
  }
  return unexpected(std::string("unknown transport"));
}

Proxy::Proxy(ProxyOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : default_clock()) {}

Proxy::Conversation Proxy::next_conversation() {
  std::lock_guard lock(mu_);
  const std::uint64_t index = conversations_++;
  auto plan = options_.shared_plan ? options_.shared_plan
                                   : std::make_shared<FaultPlan>(
                                         options_.faults, Random(options_.seed).fork(index).seed());
  // The shared plan is counted once.
  if (!options_.shared_plan || plans_.empty()) plans_.push_back(plan);
  return Conversation{index, plan};
}

void Proxy::count_upstream_failure() {
  std::lock_guard lock(mu_);
  ++upstream_failures_;
}

void Proxy::log(const std::string& line) const {
  if (!options_.log) return;
  std::lock_guard lock(log_mu_);
  options_.log(line);
}

std::uint64_t Proxy::injected(FaultKind kind) const {
  std::lock_guard lock(mu_);
  std::uint64_t sum = 0;
  for (const auto& plan : plans_)
    sum += plan->injected(kind);
  return sum;
}

std::map<std::string, std::uint64_t> Proxy::counters() const {
  std::map<std::string, std::uint64_t> out;
  for (FaultKind kind : kAllFaultKinds)
    out[std::string(fault_kind_name(kind))] = injected(kind);
  return out;
}

std::string Proxy::describe_counters() const {
  std::string out;
  for (FaultKind kind : kAllFaultKinds) {
    const std::uint64_t n = injected(kind);
    if (n == 0) continue;
    if (!out.empty()) out += ' ';
    out += std::string(fault_kind_name(kind)) + "=" + std::to_string(n);
  }
  return out.empty() ? "none" : out;
}

std::uint64_t Proxy::conversations() const {
  std::lock_guard lock(mu_);
  return conversations_;
}

std::uint64_t Proxy::upstream_failures() const {
  std::lock_guard lock(mu_);
  return upstream_failures_;
}

}  // namespace rpcfit::fault
