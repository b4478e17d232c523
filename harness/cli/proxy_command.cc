#include "harness/cli/proxy_command.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include <mutex>

#include "captures/pcap_writer.h"
#include "drivers/fault/proxy/proxy.h"
#include "harness/core/random.h"

namespace rpcfit::cli {
namespace {

Result<Endpoint, std::string> endpoint_of(const char* option, const std::string& text) {
  auto e = Endpoint::parse(text);
  if (!e) {
    return unexpected(std::string(option) + ": expected ADDR:PORT (e.g. 127.0.0.1:135 or " +
                      "[::1]:135), got \"" + text + "\"");
  }
  return *e;
}

}  // namespace

int proxy_command(const ProxyCommandOptions& o, std::ostream& out, std::ostream& err,
                  const std::function<void()>& wait_for_stop) {
  auto listen = endpoint_of("--listen", o.listen);
  auto upstream = endpoint_of("--upstream", o.upstream);
  for (const auto* e : {&listen, &upstream}) {
    if (!*e) {
      err << "rpcfit: proxy: " << e->error() << '\n';
      return 2;
    }
  }
  if (upstream->port == 0) {
    err << "rpcfit: proxy: --upstream: port 0 is not an address\n";
    return 2;
  }
  fault::ProxyOptions options;
  options.listen = *listen;
  options.upstream = *upstream;
  options.transport = o.udp ? fault::ProxyTransport::udp : fault::ProxyTransport::tcp;
  for (const auto& text : o.faults) {
    auto spec = fault::parse_fault(text);
    if (!spec) {
      err << "rpcfit: proxy: --fault: " << spec.error() << '\n';
      return 2;
    }
    options.faults.push_back(*spec);
  }
  auto checked = fault::check_faults(options.transport, options.faults);
  if (!checked) {
    err << "rpcfit: proxy: --fault: " << checked.error() << '\n';
    return 2;
  }
  std::unique_ptr<captures::PcapWriter> writer;
  if (!o.capture.empty()) {
    auto opened = captures::PcapWriter::open(o.capture);
    if (!opened) {
      err << "rpcfit: proxy: cannot write the capture: " << opened.error().to_string() << '\n';
      return 2;
    }
    writer = std::move(*opened);
  }

  // Declared so that the output's lock and the capture outlive the proxy, and the clock all.
  RealClock clock;
  std::mutex out_mu;
  auto print = [&out, &out_mu](const std::string& line) {
    std::lock_guard lock(out_mu);
    out << line << std::endl;
  };
  options.seed = o.seed ? *o.seed : fresh_seed();
  options.clock = &clock;
  options.capture = writer.get();
  options.log = print;
  print("seed " + std::to_string(options.seed));
  auto started = fault::Proxy::start(options);
  if (!started) {
    err << "rpcfit: proxy: " << started.error() << '\n';
    return 2;
  }
  auto& proxy = **started;
  print("listening " + proxy.listening().to_string() + " -> upstream " +
        options.upstream.to_string() + " (" +
        std::string(fault::proxy_transport_name(options.transport)) + ")");
  for (const auto& spec : options.faults)
    print("fault " + fault::to_string(spec));
  wait_for_stop();
  proxy.stop();
  print("conversations " + std::to_string(proxy.conversations()) + ", upstream failures " +
        std::to_string(proxy.upstream_failures()));
  print("injected: " + proxy.describe_counters());
  int status = 0;
  if (writer) {
    auto closed = writer->close();
    if (!closed) {
      err << "rpcfit: proxy: cannot write the capture: " << closed.error().to_string() << '\n';
      status = 2;
    }
  }
  return status;
}

Command add_proxy_command(CLI::App& rpcfit) {
  auto o = std::make_shared<ProxyCommandOptions>();
  auto seed = std::make_shared<std::uint64_t>(0);
  CLI::App* proxy = rpcfit.add_subcommand(
      "proxy",
      "Forward a foreign client's conversations to a server, injecting seeded faults per PDU, "
      "until interrupted");
  proxy->add_option("--listen", o->listen, "ADDR:PORT to listen on (port 0: any)")->required();
  proxy->add_option("--upstream", o->upstream, "ADDR:PORT of the server")->required();
  proxy->add_flag("--udp", o->udp, "Proxy UDP datagrams (ncadg_ip_udp), not TCP");
  proxy->add_option("--fault", o->faults,
                    "A fault, e.g. latency,delay=200ms,dir=s2c or drop,p=0.25 (repeatable)");
  auto* seed_option =
      proxy->add_option("--seed", *seed, "Seed of the fault decisions (default: fresh)");
  proxy->add_option("--capture", o->capture,
                    "Write what left the proxy, client <-> server, to this pcap file");
  proxy->footer(
      "Faults apply per direction (dir=c2s: client to server, dir=s2c: server to client) and per\n"
      "PDU; delays are real time. reorder is UDP only; reset and slice are TCP only.");
  return Command{proxy, [o, seed, seed_option] {
                   if (seed_option->count() > 0) o->seed = *seed;
                   return proxy_command(*o, std::cout, std::cerr, stop_on_signal());
                 }};
}

}  // namespace rpcfit::cli
