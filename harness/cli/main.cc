// rpcfit: the command line. The only place that wires concrete parts together.
#include <CLI/CLI.hpp>
#include <iostream>

#include "harness/cli/capture_dump.h"
#include "harness/cli/capture_example.h"

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
