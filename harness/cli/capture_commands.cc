#include "harness/cli/capture_commands.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "captures/capture_reader.h"
#include "captures/golden.h"
#include "captures/normalize.h"
#include "harness/check/capture_diff.h"
#include "harness/cli/capture_dump.h"
#include "harness/cli/capture_example.h"

namespace rpcfit::cli {

int capture_diff_command(const std::string& a, const std::string& b, double tolerance_ms,
                         std::ostream& out, std::ostream& err) {
  if (!(tolerance_ms >= 0)) {
    err << "rpcfit: capture diff: --tolerance must be 0 or more milliseconds\n";
    return 2;
  }
  captures::NormalizedCapture sides[2];
  const std::string files[2] = {a, b};
  for (int i = 0; i < 2; ++i) {
    const captures::CaptureContents contents = captures::read_capture_file(files[i]);
    if (contents.error) {
      err << "rpcfit: capture diff: " << contents.error->to_string() << '\n';
      return 2;
    }
    sides[i] = captures::normalize(contents);
  }
  const auto tolerance = std::chrono::duration_cast<Timestamp>(
      std::chrono::duration<double, std::milli>(tolerance_ms));
  const run::CaptureDiff diff =
      run::compare(sides[0], sides[1], [&](Timestamp) { return tolerance; });
  out << a << " (" << sides[0].pdus.size() << " PDUs) vs " << b << " (" << sides[1].pdus.size()
      << " PDUs): " << diff.summary() << '\n';
  for (const std::string& line : diff.lines)
    out << line << '\n';
  return diff.same ? 0 : 1;
}

int capture_normalize_command(const std::string& in, const std::string& out_file,
                              const std::vector<unsigned>& conversations, std::ostream& out,
                              std::ostream& err) {
  const captures::CaptureContents contents = captures::read_capture_file(in);
  if (contents.error) {
    err << "rpcfit: capture normalize: " << contents.error->to_string() << '\n';
    return 2;
  }
  captures::NormalizedCapture all = captures::normalize(contents);
  captures::NormalizedCapture kept;
  std::set<unsigned> present;
  for (const captures::NormalizedPdu& pdu : all.pdus)
    present.insert(pdu.conversation);
  for (const unsigned c : conversations) {
    if (!present.count(c)) {
      err << "rpcfit: capture normalize: " << in << " has no conversation " << c << " (it has "
          << present.size() << ")\n";
      return 2;
    }
  }
  // The conversations kept are numbered anew from 1, and their times count from the first PDU
  // kept, by normalizing what is kept once more.
  const std::set<unsigned> wanted(conversations.begin(), conversations.end());
  for (const captures::NormalizedPdu& pdu : all.pdus) {
    if (wanted.empty() || wanted.count(pdu.conversation)) kept.pdus.push_back(pdu);
  }
  if (!wanted.empty() && !kept.pdus.empty()) {
    const Timestamp first = kept.pdus.front().at;
    std::map<unsigned, unsigned> renumbered;
    for (captures::NormalizedPdu& pdu : kept.pdus) {
      pdu.at -= first;
      const auto [it, fresh] =
          renumbered.emplace(pdu.conversation, static_cast<unsigned>(renumbered.size() + 1));
      (void)fresh;
      pdu.conversation = it->second;
    }
  }
  auto written = captures::write_normalized(out_file, kept);
  if (!written) {
    err << "rpcfit: capture normalize: " << written.error().to_string() << '\n';
    return 2;
  }
  out << "wrote " << out_file << ": " << kept.pdus.size() << " PDU(s) of " << in << ", digest "
      << kept.digest() << '\n';
  for (const std::string& note : all.notes)
    err << "rpcfit: capture normalize: note: " << note << '\n';
  return 0;
}

void add_capture_commands(CLI::App& rpcfit, Commands& commands) {
  CLI::App* capture = rpcfit.add_subcommand("capture", "Read and write packet captures");
  capture->require_subcommand(1);

  struct DumpOptions {
    std::string file;
    bool json = false;
  };
  auto dump_options = std::make_shared<DumpOptions>();
  CLI::App* dump = capture->add_subcommand(
      "dump", "Print the DCE/RPC PDUs of a pcap or pcapng file, one line each, frame first");
  dump->add_option("FILE", dump_options->file, "Capture file (pcap or pcapng)")->required();
  dump->add_flag("--json", dump_options->json, "One JSON object per line per PDU");
  commands.push_back({dump, [dump_options] {
                        return capture_dump(dump_options->file, dump_options->json, std::cout,
                                            std::cerr);
                      }});

  struct DiffOptions {
    std::string a, b;
    double tolerance = 50;
  };
  auto diff_options = std::make_shared<DiffOptions>();
  CLI::App* diff = capture->add_subcommand(
      "diff", "Compare two captures after normalizing both (times, endpoints, identifiers)");
  diff->add_option("A", diff_options->a, "The expected capture (e.g. a golden)")->required();
  diff->add_option("B", diff_options->b, "The capture to compare with it")->required();
  diff->add_option("--tolerance", diff_options->tolerance,
                   "Milliseconds two times of one PDU may differ (default 50)");
  commands.push_back({diff, [diff_options] {
                        return capture_diff_command(diff_options->a, diff_options->b,
                                                    diff_options->tolerance, std::cout, std::cerr);
                      }});

  struct NormalizeOptions {
    std::string in, out;
    std::vector<unsigned> conversations;
  };
  auto normalize_options = std::make_shared<NormalizeOptions>();
  CLI::App* normalize = capture->add_subcommand(
      "normalize", "Write a capture's normalized form, e.g. to make a golden of a foreign capture");
  normalize->add_option("IN", normalize_options->in, "Any pcap or pcapng file")->required();
  normalize->add_option("OUT", normalize_options->out, "The pcap to write")->required();
  normalize->add_option(
      "--conversation", normalize_options->conversations,
      "Keep only this conversation (numbered as capture diff shows them); repeatable");
  commands.push_back({normalize, [normalize_options] {
                        return capture_normalize_command(
                            normalize_options->in, normalize_options->out,
                            normalize_options->conversations, std::cout, std::cerr);
                      }});

  auto example_file = std::make_shared<std::string>();
  CLI::App* example = capture->add_subcommand(
      "example", "Write a sample capture of cancelled calls made by rpcfit's own writer");
  example->add_option("FILE", *example_file, "Where to write the pcap")->required();
  commands.push_back({example, [example_file] {
                        auto written = write_capture_example(*example_file);
                        if (!written) {
                          std::cerr << "rpcfit: capture example: " << written.error().to_string()
                                    << '\n';
                          return 2;
                        }
                        std::cout << "wrote " << *written << " frames to " << *example_file << '\n';
                        return 0;
                      }});
}

}  // namespace rpcfit::cli
