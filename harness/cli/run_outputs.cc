#include "harness/cli/run_outputs.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <stdexcept>

#include "captures/capture_reader.h"
#include "captures/golden.h"
#include "captures/normalize.h"
#include "captures/pcap_writer.h"
#include "harness/run/timing.h"

namespace rpcfit::cli {
namespace {

namespace fs = std::filesystem;

std::string utc_stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

captures::NormalizedCapture read_normalized(const fs::path& file, const std::string& what,
                                            std::optional<Timestamp> origin) {
  const captures::CaptureContents contents = captures::read_capture_file(file.string());
  if (contents.error) {
    throw std::runtime_error(what + " " + file.string() + ": " + contents.error->to_string());
  }
  return captures::normalize(contents, captures::NormalizeOptions{origin});
}

bool expects_running(const run::Scenario& scenario) {
  return std::any_of(scenario.expect.calls.begin(), scenario.expect.calls.end(),
                     [](const run::CallExpect& e) { return e.still_running; });
}

// Protocol sequences whose traffic never crosses an IP interface.
bool off_the_network(const std::string& protseq) {
  return protseq == "ncacn_np" || protseq == "ncalrpc" || protseq == "ncadg_mq";
}

}  // namespace

fs::path default_run_folder(const fs::path& base, std::uint64_t seed) {
  return base / (utc_stamp() + "-" + std::to_string(seed));
}

bool point_latest_at(const fs::path& folder) {
  const fs::path latest = folder.parent_path() / "latest";
  std::error_code ec;
  if (fs::is_symlink(latest, ec) || fs::exists(latest, ec)) fs::remove(latest, ec);
  fs::create_directory_symlink(folder.filename(), latest, ec);
  return !ec;
}

std::string golden_path(const run::Scenario& scenario) {
  if (!scenario.golden) return "";
  if (scenario.capture) return *scenario.capture;
  return "captures/golden/" + scenario.id + ".pcap";
}

RunOutputs::RunOutputs(OutputOptions options, run::RunSettings settings)
    : options_(std::move(options)), settings_(std::move(settings)) {}

RunOutputs::~RunOutputs() = default;

std::optional<std::string> RunOutputs::prepare() {
  std::error_code ec;
  fs::create_directories(options_.folder, ec);
  if (ec || !fs::is_directory(options_.folder)) {
    return "cannot make the run folder " + options_.folder.string() + ": " +
           (ec ? ec.message() : "not a directory");
  }
  if (!options_.live_interface.empty()) {
    auto live = captures::LiveCapture::start(options_.live_interface);
    if (live) {
      live_ = std::move(*live);
    } else {
      live_problem_ = live.error();
    }
  }
  return std::nullopt;
}

fs::path RunOutputs::capture_file(const run::Scenario& scenario, unsigned repetition) const {
  const std::string name =
      settings_.repeat > 1 ? "capture-" + std::to_string(repetition + 1) + ".pcap" : "capture.pcap";
  return options_.folder / scenario.id / name;
}

std::string RunOutputs::relative(const fs::path& file) const {
  return file.lexically_relative(options_.folder).string();
}

run::CaptureFactory RunOutputs::capture_factory() {
  return [this](const run::Scenario& s, unsigned repetition) -> std::unique_ptr<CaptureSink> {
    const fs::path file = capture_file(s, repetition);
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    auto writer = captures::PcapWriter::open(file.string());
    if (!writer) throw std::runtime_error("--out: " + writer.error().to_string());
    if (live_) {
      std::lock_guard lock(mu_);
      live_marks_[{&s, repetition}] = live_->mark();
    }
    return std::move(*writer);
  };
}

run::AfterRun RunOutputs::after_run() {
  return [this](const run::Scenario& s, run::ScenarioRun& r) { return check(s, r); };
}

std::vector<run::Mismatch> RunOutputs::check(const run::Scenario& scenario, run::ScenarioRun& r) {
  const fs::path file = capture_file(scenario, r.repetition);
  std::vector<run::Mismatch> found;
  reports::CaptureCheck golden;
  if (auto m = check_golden(scenario, r, file, golden)) found.push_back(*m);
  std::optional<reports::CaptureCheck> live;
  if (!options_.live_interface.empty()) {
    live.emplace();
    if (auto m = check_live(scenario, r, file, *live)) found.push_back(*m);
  }
  std::lock_guard lock(mu_);
  captures_[{&scenario, r.repetition}] = golden;
  if (live) lives_[{&scenario, r.repetition}] = *live;
  return found;
}

std::optional<run::Mismatch> RunOutputs::check_golden(const run::Scenario& scenario,
                                                      const run::ScenarioRun& r,
                                                      const fs::path& file,
                                                      reports::CaptureCheck& out) {
  captures::NormalizedCapture actual =
      read_normalized(file, "the run's capture", r.observed.capture_origin);
  // A scenario that expects a call still running is observed until its timeout; the shutdown
  // that then ends the call (a timeout-0 cancel, the server stopping) is not part of what it
  // observed, and what it puts on the wire varies (an answer may or may not come back in time).
  // Other scenarios end with their calls, and what their shutdown sends is the same every time
  // (a datagram activity's owed ack), so their captures are kept whole.
  if (expects_running(scenario)) {
    std::erase_if(actual.pdus,
                  [&](const captures::NormalizedPdu& p) { return p.at > r.observed.ended_at; });
  }
  out.path = relative(file);
  out.golden = golden_path(scenario);
  out.digest = actual.digest();
  out.pdus = actual.pdus.size();
  if (!scenario.golden) {
    out.golden.clear();
    out.status = "skipped";
    out.detail = "capture: none (the scenario's exchange differs from run to run)";
    return std::nullopt;
  }
  const fs::path golden_file = options_.root / out.golden;
  const bool exists = fs::is_regular_file(golden_file);

  std::optional<captures::CaptureDiff> diff;
  if (exists) {
    const captures::NormalizedCapture golden =
        read_normalized(golden_file, "the golden capture", std::nullopt);
    const run::TimingSettings timing{settings_.time_scale, settings_.tolerance_scale};
    diff = captures::compare(golden, actual, [&](Timestamp expected) {
      return run::tolerance_for(scenario.tolerance, run::interval_before(scenario, expected),
                                timing);
    });
  }
  if (options_.update_captures) {
    const bool passing = r.verdict == run::Verdict::pass && r.mismatches.empty();
    if (passing) {
      if (exists && diff->same) {
        out.status = "unchanged";
      } else {
        std::error_code ec;
        fs::create_directories(golden_file.parent_path(), ec);
        auto written = captures::write_normalized(golden_file.string(), actual);
        if (!written) throw std::runtime_error("--update-captures: " + written.error().to_string());
        out.status = exists ? "updated" : "recorded";
        out.detail = exists ? diff->summary() : "";
      }
      std::lock_guard lock(mu_);
      updates_.push_back(out.status + " " + out.golden + " (" + std::to_string(out.pdus) + " PDUs" +
                         (out.detail.empty() ? "" : "; was: " + out.detail) + ")");
      return std::nullopt;
    }
    out.detail = "not updated: the scenario did not pass";
  }
  if (!exists) {
    out.status = "no-golden";
    out.detail =
        "no golden capture at " + out.golden + " (record one: rpcfit run --update-captures)";
    return std::nullopt;
  }
  if (diff->same) {
    out.status = "match";
    return std::nullopt;
  }
  out.status = "differs";
  out.diff = diff->lines;
  if (out.detail.empty()) out.detail = diff->summary();
  return run::Mismatch{"capture", "as golden " + out.golden,
                       diff->summary() + " (" + std::to_string(out.pdus) + " PDUs)", scenario.loc,
                       ""};
}

std::optional<run::Mismatch> RunOutputs::check_live(const run::Scenario& scenario,
                                                    const run::ScenarioRun& r, const fs::path& file,
                                                    reports::CaptureCheck& out) {
  const std::string suffix = settings_.repeat > 1 ? "-" + std::to_string(r.repetition + 1) : "";
  const fs::path live_file = file.parent_path() / ("live" + suffix + ".pcap");
  out.path = relative(live_file);
  out.golden = relative(file);
  if (!live_) {
    out.status = "skipped";
    out.detail = live_problem_;
    return std::nullopt;
  }
  if (off_the_network(scenario.protseq)) {
    out.status = "skipped";
    out.detail = scenario.protseq + " does not cross " + options_.live_interface +
                 " (a Unix-domain socket or a message queue)";
    return std::nullopt;
  }
  std::uint64_t mark = 0;
  {
    std::lock_guard lock(mu_);
    mark = live_marks_[{&scenario, r.repetition}];
  }
  if (!live_->sync()) throw std::runtime_error("--live-capture: the capture thread fell behind");
  const captures::CaptureContents own = captures::read_capture_file(file.string());
  std::set<captures::ConversationKey> conversations;
  for (const captures::ReadPdu& pdu : own.pdus)
    conversations.insert(captures::conversation_key(pdu.src, pdu.dst));
  auto written = live_->write(live_file.string(), conversations, mark);
  if (!written) throw std::runtime_error("--live-capture: " + written.error());
  const captures::NormalizedCapture seen = read_normalized(live_file, "the live capture", {});
  const captures::NormalizedCapture teed = captures::normalize(own);
  out.digest = seen.digest();
  out.pdus = seen.pdus.size();
  // Every PDU of the runtime's capture must be on the wire, in its order; their clocks differ
  // (scenario time against the kernel's), so times are not compared. The wire may hold more only
  // towards the client: a datagram that came after the client had let its activity go.
  const auto diff = captures::compare(teed, seen, [](Timestamp) { return Timestamp::max(); });
  const bool unseen_by_client =
      std::all_of(diff.extra_at.begin(), diff.extra_at.end(), [&](std::size_t i) {
        return !seen.pdus[i].to_server && seen.pdus[i].transport == TransportKind::udp;
      });
  if (diff.same || (diff.missing == 0 && unseen_by_client)) {
    out.status = "match";
    if (!diff.same) {
      out.diff = diff.lines;
      out.detail = std::to_string(diff.extra) +
                   " datagram(s) to the client after it had let the activity go";
    }
    return std::nullopt;
  }
  out.status = "differs";
  out.diff = diff.lines;
  out.detail = diff.summary();
  return run::Mismatch{"live capture", "the PDUs of " + out.golden,
                       diff.summary() + " on " + options_.live_interface, scenario.loc, ""};
}

std::optional<reports::CaptureCheck> RunOutputs::capture_check(const run::ScenarioRun& r) const {
  std::lock_guard lock(mu_);
  const auto it = captures_.find({r.scenario, r.repetition});
  if (it == captures_.end()) return std::nullopt;
  return it->second;
}

std::optional<reports::CaptureCheck> RunOutputs::live_check(const run::ScenarioRun& r) const {
  std::lock_guard lock(mu_);
  const auto it = lives_.find({r.scenario, r.repetition});
  if (it == lives_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> RunOutputs::golden_updates() const {
  std::lock_guard lock(mu_);
  return updates_;
}

}  // namespace rpcfit::cli
