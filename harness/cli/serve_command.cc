#include "harness/cli/serve_command.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "captures/pcap_writer.h"
#include "drivers/runtime/rpc.h"
#include "drivers/runtime/runtime.h"
#include "drivers/runtime/server.h"
#include "drivers/runtime/string_binding.h"
#include "drivers/server/serve_interface.h"
#include "harness/cli/serve_log.h"

namespace rpcfit::cli {
namespace {

// Where to listen for `text`: a protocol sequence addressed by port and given none takes any free
// one, on the loopback address unless an address is given; the others need a name.
Result<rpc::StringBinding, std::string> endpoint_of(const std::string& text) {
  auto parsed = rpc::parse_string_binding(text);
  if (!parsed) return unexpected(rpc::status_text(parsed.error()));
  if (transport::uses_ports(parsed->protseq)) {
    if (parsed->network_address.empty()) parsed->network_address = "127.0.0.1";
    if (parsed->endpoint.empty()) parsed->endpoint = "0";
  } else if (parsed->endpoint.empty()) {
    return unexpected(std::string("a name is needed, e.g. ncalrpc:[x]"));
  }
  return std::move(*parsed);
}

// `e` with the endpoint the server reports.
std::string binding_text(rpc::StringBinding e, const std::string& name) {
  e.endpoint = name;
  return e.to_string();
}

}  // namespace

int serve_command(const ServeOptions& o, std::ostream& out, std::ostream& err,
                  const std::function<void()>& wait_for_stop) {
  std::vector<rpc::StringBinding> endpoints;
  for (const auto& text : o.bindings) {
    auto e = endpoint_of(text);
    if (!e) {
      err << "rpcfit: serve: " << text << ": " << e.error() << '\n';
      return 2;
    }
    endpoints.push_back(*e);
  }
  std::unique_ptr<captures::PcapWriter> writer;
  if (!o.capture.empty()) {
    auto opened = captures::PcapWriter::open(o.capture);
    if (!opened) {
      err << "rpcfit: serve: cannot write the capture: " << opened.error().to_string() << '\n';
      return 2;
    }
    writer = std::move(*opened);
  }

  // Declared so that the log and the capture outlive the server, and the clock outlives both.
  RealClock clock;
  ServeLog log(out, o.json);
  auto recorder = std::make_shared<server::EventRecorder>();
  recorder->set_listener([&log](const server::BehaviourEvent& e) { log.on_behaviour(e); });
  rpc::RuntimeOptions runtime_options;
  runtime_options.clock = &clock;
  runtime_options.capture = writer.get();
  runtime_options.run_dir = o.run_dir;
  rpc::Runtime runtime(runtime_options);
  rpc::ServerOptions server_options;
  server_options.cancel_deaf = o.deaf;
  server_options.observer = [&log, recorder](const rpc::ServerEvent& e) {
    recorder->on_server_event(e);
    log.on_server(e);
  };
  int status = 0;
  {
    rpc::Server server(runtime, server_options);
    server.register_interface(server::serve_interface(recorder));
    for (const auto& e : endpoints) {
      auto name = server.listen(e.protseq, e.endpoint, e.network_address);
      if (!name) {
        err << "rpcfit: serve: cannot listen on " << binding_text(e, e.endpoint) << ": "
            << name.error() << '\n';
        return 2;
      }
      log.listening(binding_text(e, *name));
    }
    wait_for_stop();
    server.stop(std::chrono::seconds(5));
  }
  if (writer) {
    auto closed = writer->close();
    if (!closed) {
      err << "rpcfit: serve: cannot write the capture: " << closed.error().to_string() << '\n';
      status = 2;
    }
  }
  return status;
}

Command add_serve_command(CLI::App& rpcfit) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* serve = rpcfit.add_subcommand(
      "serve",
      "Serve rpcfit's test interface, whose opnums play server behaviours, until interrupted");
  serve
      ->add_option("BINDING", o->bindings,
                   "Where to listen, e.g. ncacn_ip_tcp:127.0.0.1[0] (0: any port), ncalrpc:[name]")
      ->required();
  serve->add_option("--capture", o->capture, "Write the PDUs to this pcap file");
  serve->add_flag("--json", o->json, "One JSON object per line");
  serve->add_flag("--deaf", o->deaf,
                  "Cancel-deaf server runtime: ignore co_cancel, orphaned and cl_cancel, fault a "
                  "pending cancel on a first fragment with 0x6BD and disconnect");
  serve->footer(
      "Opnums (input: a little-endian uint32 where noted; every answer echoes the input):\n"
      "  0 normal   1 slow (delay ms)   2 hung   3 cancel-aware, raises the cancel (answers after\n"
      "  ms without one; 0: never)   4 cancel-aware, returns normally (as 3)   5 deny (status 5)\n"
      "  6 crash (drops the connection after this many bytes of the response)");
  return Command{serve, [o] { return serve_command(*o, std::cout, std::cerr, stop_on_signal()); }};
}

}  // namespace rpcfit::cli
