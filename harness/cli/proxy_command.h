// `rpcfit proxy --listen ADDR:PORT --upstream ADDR:PORT [--udp] [--fault SPEC]... [--seed N]
// [--capture FILE]`: the fault proxy (drivers/fault/proxy/proxy.h) for foreign clients and
// servers, until interrupted.
//
// Output, one line each, flushed as it happens:
//   seed 7
//   listening 127.0.0.1:40123 -> upstream 127.0.0.1:49731 (tcp)
//   fault latency,delay=100ms          (one per --fault, in its text form)
//   connection 3 from 127.0.0.1:5555: upstream 127.0.0.1:49731 unreachable: connect: ...
//   ...                                (conversation events as they happen)
// and once stopped:
//   conversations 4, upstream failures 1
//   injected: latency=2 drop=1         ("injected: none" when nothing was)
// Delays are real time (a RealClock at scale 1).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "harness/cli/command.h"

namespace rpcfit::cli {

struct ProxyCommandOptions {
  std::string listen;    // ADDR:PORT, port 0: any free one
  std::string upstream;  // ADDR:PORT
  bool udp = false;
  std::vector<std::string> faults;    // fault_spec.h text forms
  std::optional<std::uint64_t> seed;  // default: fresh_seed()
  std::string capture;                // pcap of what left the proxy; empty: none
};

// Proxies until `wait_for_stop` returns (the command: SIGINT or SIGTERM). 0 after a clean stop;
// 2 for a bad address or fault (the message names it), a fault that does not apply to the
// transport, an address that cannot be listened on, or a capture that cannot be written. An
// upstream that cannot be reached is not an error: each conversation fails on its own.
int proxy_command(const ProxyCommandOptions& o, std::ostream& out, std::ostream& err,
                  const std::function<void()>& wait_for_stop);

Command add_proxy_command(CLI::App& rpcfit);

}  // namespace rpcfit::cli
