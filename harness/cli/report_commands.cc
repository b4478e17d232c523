#include "harness/cli/report_commands.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "captures/capture_reader.h"
#include "captures/golden.h"
#include "captures/normalize.h"
#include "reports/compare.h"
#include "reports/report_files.h"
#include "reports/report_json.h"

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
  const captures::CaptureDiff diff =
      captures::compare(sides[0], sides[1], [&](Timestamp) { return tolerance; });
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

int report_diff_command(const ReportDiffOptions& o, std::ostream& out, std::ostream& err) {
  auto baseline = reports::read_report_file(o.baseline);
  auto next = reports::read_report_file(o.next);
  for (const auto* r : {&baseline, &next}) {
    if (!*r) {
      err << "rpcfit: report diff: " << r->error() << '\n';
      return 2;
    }
  }
  reports::DiffOptions options;
  options.drift_percent = o.drift_percent;
  options.drift_min_ms = o.drift_min_ms;
  options.drift_is_regression = o.fail_on_drift;
  options.capture_change_is_regression = o.fail_on_capture_change;
  const reports::ReportDiff diff = reports::diff_reports(*baseline, *next, options);
  out << reports::to_text(diff, *baseline, *next, o.baseline, o.next);
  return diff.regressed() ? 1 : 0;
}

int report_merge_command(const std::vector<std::string>& inputs, const std::string& folder,
                         std::ostream& out, std::ostream& err) {
  std::vector<reports::RunReport> shards;
  for (const std::string& input : inputs) {
    auto r = reports::read_report_file(input);
    if (!r) {
      err << "rpcfit: report merge: " << r.error() << '\n';
      return 2;
    }
    shards.push_back(std::move(*r));
  }
  auto merged = reports::merge_reports(shards);
  if (!merged) {
    err << "rpcfit: report merge: " << merged.error() << '\n';
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (auto problem = reports::write_report_files(folder, *merged)) {
    err << "rpcfit: report merge: " << *problem << '\n';
    return 2;
  }
  const reports::Totals t = merged->totals();
  out << "merged " << inputs.size() << " report(s): " << t.runs << " runs, " << t.passed
      << " passed, " << t.failing() << " failing; wrote " << folder
      << "/{report.json,junit.xml,report.html,summary.md}\n";
  return t.failing() > 0 ? 1 : 0;
}

}  // namespace rpcfit::cli
