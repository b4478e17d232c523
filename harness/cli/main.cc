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
#include "harness/cli/report_commands.h"
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
  app.set_version_flag("--version", std::string("rpcfit ") + RPCFIT_VERSION);
  app.require_subcommand(1);

  CLI::App* capture = app.add_subcommand("capture", "Read and write packet captures");
  capture->require_subcommand(1);

  std::string dump_file;
  bool json = false;
  CLI::App* dump = capture->add_subcommand(
      "dump", "Print the DCE/RPC PDUs of a pcap or pcapng file, one line each, frame first");
  dump->add_option("FILE", dump_file, "Capture file (pcap or pcapng)")->required();
  dump->add_flag("--json", json, "One JSON object per line per PDU");

  std::string diff_a, diff_b;
  double diff_tolerance = 50;
  CLI::App* capture_diff = capture->add_subcommand(
      "diff", "Compare two captures after normalizing both (times, endpoints, identifiers)");
  capture_diff->add_option("A", diff_a, "The expected capture (e.g. a golden)")->required();
  capture_diff->add_option("B", diff_b, "The capture to compare with it")->required();
  capture_diff->add_option("--tolerance", diff_tolerance,
                           "Milliseconds two times of one PDU may differ (default 50)");

  std::string normalize_in, normalize_out;
  std::vector<unsigned> normalize_conversations;
  CLI::App* capture_normalize = capture->add_subcommand(
      "normalize", "Write a capture's normalized form, e.g. to make a golden of a foreign capture");
  capture_normalize->add_option("IN", normalize_in, "Any pcap or pcapng file")->required();
  capture_normalize->add_option("OUT", normalize_out, "The pcap to write")->required();
  capture_normalize->add_option(
      "--conversation", normalize_conversations,
      "Keep only this conversation (numbered as capture diff shows them); repeatable");

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
                  "The run folder: captures and reports (default: runs/<UTC time>-<seed>, with "
                  "runs/latest pointing to it)");
  run->add_option("--root", run_options.root,
                  "Where golden captures' paths start (default: the current directory)");
  run->add_flag("--update-captures", run_options.update_captures,
                "Record or refresh the golden captures of the scenarios that pass");
  run->add_option("--live-capture", run_options.live_capture,
                  "Also capture on this interface (lo) with libpcap and compare (needs capture "
                  "privileges)");
  run->add_option("--baseline", run_options.baseline,
                  "Compare with this report.json; a new failure fails the run");
  run->add_option("--drift", run_options.drift_percent,
                  "With --baseline: timing drift reported beyond this percentage (default 20)");
  run->add_option("--drift-min", run_options.drift_min_ms,
                  "With --baseline: ... and beyond this many milliseconds (default 50)");
  run->footer(
      "Exit status: 0 all passed, 1 any FAIL, ERROR or XPASS (or a regression against "
      "--baseline),\n"
      "2 usage error, invalid scenario or unreadable baseline, 3 no scenario selected.");

  CLI::App* report = app.add_subcommand("report", "Compare and merge run reports (report.json)");
  report->require_subcommand(1);
  rpcfit::cli::ReportDiffOptions report_diff_options;
  CLI::App* report_diff = report->add_subcommand(
      "diff", "Compare a run with a baseline: new failures, fixes, drift, capture changes");
  report_diff->add_option("BASELINE", report_diff_options.baseline, "The baseline's report.json")
      ->required();
  report_diff->add_option("NEW", report_diff_options.next, "The new run's report.json")->required();
  report_diff->add_option("--drift", report_diff_options.drift_percent,
                          "Timing drift reported beyond this percentage (default 20)");
  report_diff->add_option("--drift-min", report_diff_options.drift_min_ms,
                          "... and beyond this many milliseconds (default 50)");
  report_diff->add_flag("--fail-on-drift", report_diff_options.fail_on_drift,
                        "Timing drift is a regression too");
  report_diff->add_flag("--fail-on-capture-change", report_diff_options.fail_on_capture_change,
                        "A changed capture is a regression too");
  report_diff->footer("Exit status: 0 no regression, 1 a regression, 2 a report cannot be read.");
  std::vector<std::string> merge_inputs;
  std::string merge_out;
  CLI::App* report_merge = report->add_subcommand(
      "merge", "Merge the report.json files of a run's shards into one run's reports");
  report_merge->add_option("REPORT", merge_inputs, "The shards' report.json files")->required();
  report_merge->add_option("--out", merge_out, "Folder for the merged reports")->required();

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
  list->add_flag("--coverage", list_options.coverage,
                 "Each spec rule with the scenarios that name it, and the rules none names (exit "
                 "1 when there is one)");

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
  if (*capture_normalize) {
    return rpcfit::cli::capture_normalize_command(normalize_in, normalize_out,
                                                  normalize_conversations, std::cout, std::cerr);
  }
  if (*capture_diff) {
    return rpcfit::cli::capture_diff_command(diff_a, diff_b, diff_tolerance, std::cout, std::cerr);
  }
  if (*report_diff)
    return rpcfit::cli::report_diff_command(report_diff_options, std::cout, std::cerr);
  if (*report_merge) {
    return rpcfit::cli::report_merge_command(merge_inputs, merge_out, std::cout, std::cerr);
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
