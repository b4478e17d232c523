// rpcfit: the command line. The only place that wires concrete parts together.
#include <pthread.h>

#include <unistd.h>
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdint>
#include <functional>
#include <iostream>

#include "harness/cli/call_command.h"
#include "harness/cli/capture_dump.h"
#include "harness/cli/capture_example.h"
#include "harness/cli/proxy_command.h"
#include "harness/cli/run_command.h"
#include "harness/cli/serve_command.h"
#include "harness/cli/suite_commands.h"

namespace {

// Blocks SIGINT and SIGTERM in this thread, and so in every thread started after, and returns a
// wait for one of them: only sigwait() takes these signals.
std::function<void()> stop_on_signal() {
  static sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  return [] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
  };
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rpcfit - conformance and fault-injection harness for DCE/RPC cancellation"};
  app.set_version_flag("--version", std::string("rpcfit 0.1.0"));
  app.require_subcommand(1);

  CLI::App* capture = app.add_subcommand("capture", "Read and write packet captures");
  capture->require_subcommand(1);

  std::string dump_file;
  bool json = false;
  CLI::App* dump = capture->add_subcommand(
      "dump", "Print the DCE/RPC PDUs of a pcap or pcapng file, one line each, frame first");
  dump->add_option("FILE", dump_file, "Capture file (pcap or pcapng)")->required();
  dump->add_flag("--json", json, "One JSON object per line per PDU");

  std::string example_file;
  CLI::App* example = capture->add_subcommand(
      "example", "Write a sample capture of cancelled calls made by rpcfit's own writer");
  example->add_option("FILE", example_file, "Where to write the pcap")->required();

  rpcfit::cli::CallOptions call_options;
  CLI::App* call = app.add_subcommand(
      "call", "Make one call, optionally cancel it from another thread, and show the PDUs");
  call->add_option("BINDING", call_options.binding,
                   "String binding, e.g. ncacn_ip_tcp:127.0.0.1[49731] or ncalrpc:[name]")
      ->required();
  call->add_option("--if", call_options.interface,
                   "Interface UUID[:MAJOR.MINOR] (default: rpcfit's test interface, v1.0)");
  call->add_option("--opnum", call_options.opnum, "Operation number")->required();
  auto* in_hex = call->add_option("--in-hex", call_options.in_hex, "Stub input as hex digits");
  call->add_option("--in-bytes", call_options.in_bytes, "Stub input of N bytes 00 01 .. ff 00 ..")
      ->excludes(in_hex);
  auto* cancel_after = call->add_option(
      "--cancel-after", call_options.cancel_after_ms,
      "Cancel the call this many milliseconds after it starts (unless it has ended)");
  auto* cancel_timeout = call->add_option(
      "--cancel-timeout", call_options.cancel_timeout,
      "RpcCancelThreadEx timeout in seconds (default -1: RPC_C_CANCEL_INFINITE_TIMEOUT)");
  cancel_timeout->needs(cancel_after);
  call->add_flag("--cancel-thread", call_options.cancel_thread,
                 "Cancel with RpcCancelThread (the thread's own timeout) instead")
      ->needs(cancel_after)
      ->excludes(cancel_timeout);
  call->add_option("--access", call_options.access,
                   "OpenThread access mask for the cancel, decimal or 0x hex (default 0x1FFFFF)");
  call->add_option("--capture", call_options.capture, "Also write the PDUs to this pcap file");
  call->add_flag("--json", call_options.json, "Print one JSON object");

  rpcfit::cli::ServeOptions serve_options;
  CLI::App* serve = app.add_subcommand(
      "serve",
      "Serve rpcfit's test interface, whose opnums play server behaviours, until interrupted");
  serve
      ->add_option("BINDING", serve_options.bindings,
                   "Where to listen, e.g. ncacn_ip_tcp:127.0.0.1[0] (0: any port), ncalrpc:[name]")
      ->required();
  serve->add_option("--capture", serve_options.capture, "Write the PDUs to this pcap file");
  serve->add_flag("--json", serve_options.json, "One JSON object per line");
  serve->add_flag("--deaf", serve_options.deaf,
                  "Cancel-deaf server runtime: ignore co_cancel, orphaned and cl_cancel, fault a "
                  "pending cancel on a first fragment with 0x6BD and disconnect");
  serve->footer(
      "Opnums (input: a little-endian uint32 where noted; every answer echoes the input):\n"
      "  0 normal   1 slow (delay ms)   2 hung   3 cancel-aware, raises the cancel (answers after\n"
      "  ms without one; 0: never)   4 cancel-aware, returns normally (as 3)   5 deny (status 5)\n"
      "  6 crash (drops the connection after this many bytes of the response)");

  rpcfit::cli::ProxyCommandOptions proxy_options;
  std::uint64_t proxy_seed = 0;
  CLI::App* proxy = app.add_subcommand(
      "proxy",
      "Forward a foreign client's conversations to a server, injecting seeded faults per PDU, "
      "until interrupted");
  proxy->add_option("--listen", proxy_options.listen, "ADDR:PORT to listen on (port 0: any)")
      ->required();
  proxy->add_option("--upstream", proxy_options.upstream, "ADDR:PORT of the server")->required();
  proxy->add_flag("--udp", proxy_options.udp, "Proxy UDP datagrams (ncadg_ip_udp), not TCP");
  proxy->add_option("--fault", proxy_options.faults,
                    "A fault, e.g. latency,delay=200ms,dir=s2c or drop,p=0.25 (repeatable)");
  auto* seed =
      proxy->add_option("--seed", proxy_seed, "Seed of the fault decisions (default: fresh)");
  proxy->add_option("--capture", proxy_options.capture,
                    "Write what left the proxy, client <-> server, to this pcap file");
  proxy->footer(
      "Faults apply per direction (dir=c2s: client to server, dir=s2c: server to client) and per\n"
      "PDU; delays are real time. reorder is UDP only; reset and slice are TCP only.");

  rpcfit::cli::RunOptions run_options;
  std::uint64_t run_seed = 0;
  CLI::App* run = app.add_subcommand(
      "run",
      "Run scenarios on rpcfit's runtime and check them (default: every file under scenarios/)");
  run->add_option("PATH", run_options.paths, "Scenario files or directories (searched for *.yaml)");
  run->add_option(
      "--filter", run_options.filters,
      "Only ids matching this glob (* ? [..]; a plain prefix takes a folder); repeatable");
  run->add_option("--exclude", run_options.excludes,
                  "Leave out ids matching this glob; repeatable");
  run->add_option("--tag", run_options.tags,
                  "Only scenarios with this tag; repeatable (all must match)");
  run->add_option("--level", run_options.level, "Only must or should scenarios");
  run->add_option("-j,--jobs", run_options.jobs,
                  "Scenarios run at once (default: the number of cores)");
  run->add_option(
      "--time-scale", run_options.time_scale,
      "Real seconds per scenario second, e.g. 0.05 runs twenty times faster (default 1)");
  run->add_option("--tolerance-scale", run_options.tolerance_scale,
                  "Multiplies every timing tolerance, for slow machines (default 1)");
  auto* run_seed_option = run->add_option(
      "--seed", run_seed, "Run seed every random decision derives from (default: fresh, printed)");
  run->add_option("--repeat", run_options.repeat, "Run each scenario N times");
  run->add_option("--shard", run_options.shard,
                  "Run shard I of N (I/N); default from GTEST_SHARD_INDEX and GTEST_TOTAL_SHARDS");
  run->add_flag("--fail-fast", run_options.fail_fast, "Start no scenario after a failure");
  run->add_option("--out", run_options.out,
                  "Write each scenario's capture under DIR/<id>/capture.pcap");
  run->footer(
      "Exit status: 0 all passed, 1 any FAIL, ERROR or XPASS, 2 usage error or invalid scenario,\n"
      "3 no scenario selected.");

  rpcfit::cli::ListOptions list_options;
  CLI::App* list = app.add_subcommand("list", "List scenarios: id, level, tags, spec rules, title");
  list->add_option("PATH", list_options.paths,
                   "Scenario files or directories (default: scenarios/)");
  list->add_option("--filter", list_options.filters, "Only ids matching this glob; repeatable");
  list->add_option("--exclude", list_options.excludes,
                   "Leave out ids matching this glob; repeatable");
  list->add_option("--tag", list_options.tags, "Only scenarios with this tag; repeatable");
  list->add_option("--level", list_options.level, "Only must or should scenarios");
  list->add_flag("--json", list_options.json, "A JSON array of scenario objects");

  std::vector<std::string> validate_paths;
  CLI::App* validate = app.add_subcommand(
      "validate", "Check scenario files without running them; problems as file:line:column");
  validate->add_option("PATH", validate_paths,
                       "Scenario files or directories (default: scenarios/)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  if (*run) {
    if (run_seed_option->count() > 0) run_options.seed = run_seed;
    run_options.progress = ::isatty(STDOUT_FILENO) == 1;
    return rpcfit::cli::run_command(run_options, std::cout, std::cerr);
  }
  if (*list) return rpcfit::cli::list_command(list_options, std::cout, std::cerr);
  if (*validate) return rpcfit::cli::validate_command(validate_paths, std::cout, std::cerr);
  if (*call) return rpcfit::cli::call_command(call_options, std::cout, std::cerr);
  if (*serve)
    return rpcfit::cli::serve_command(serve_options, std::cout, std::cerr, stop_on_signal());
  if (*proxy) {
    if (seed->count() > 0) proxy_options.seed = proxy_seed;
    return rpcfit::cli::proxy_command(proxy_options, std::cout, std::cerr, stop_on_signal());
  }
  if (*dump) return rpcfit::cli::capture_dump(dump_file, json, std::cout, std::cerr);
  if (*example) {
    auto written = rpcfit::cli::write_capture_example(example_file);
    if (!written) {
      std::cerr << "rpcfit: capture example: " << written.error().to_string() << '\n';
      return 2;
    }
    std::cout << "wrote " << *written << " frames to " << example_file << '\n';
    return 0;
  }
  return 2;
}
