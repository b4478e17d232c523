#include "captures/pcap_store.h"

#include <set>
#include <stdexcept>

#include "captures/capture_reader.h"
#include "captures/golden.h"
#include "captures/normalize.h"
#include "captures/pcap_writer.h"

namespace rpcfit::captures {
namespace {

namespace fs = std::filesystem;

run::NormalizedCapture read_normalized(const fs::path& file, const std::string& what,
                                       std::optional<Timestamp> origin) {
  const CaptureContents contents = read_capture_file(file.string());
  if (contents.error) {
    throw std::runtime_error(what + " " + file.string() + ": " + contents.error->to_string());
  }
  return normalize(contents, NormalizeOptions{origin});
}

}  // namespace

PcapStore::PcapStore(PcapStoreOptions options) : options_(std::move(options)) {}

PcapStore::~PcapStore() = default;

std::optional<std::string> PcapStore::prepare() {
  std::error_code ec;
  fs::create_directories(options_.folder, ec);
  if (ec || !fs::is_directory(options_.folder)) {
    return "cannot make the run folder " + options_.folder.string() + ": " +
           (ec ? ec.message() : "not a directory");
  }
  if (!options_.live_interface.empty()) {
    auto live = LiveCapture::start(options_.live_interface);
    if (live) {
      live_ = std::move(*live);
    } else {
      live_problem_ = live.error();
    }
  }
  return std::nullopt;
}

fs::path PcapStore::capture_file(const run::Scenario& scenario, unsigned repetition) const {
  const std::string name =
      options_.repeat > 1 ? "capture-" + std::to_string(repetition + 1) + ".pcap" : "capture.pcap";
  return options_.folder / scenario.id / name;
}

fs::path PcapStore::live_file(const run::Scenario& scenario, unsigned repetition) const {
  const std::string suffix = options_.repeat > 1 ? "-" + std::to_string(repetition + 1) : "";
  return capture_file(scenario, repetition).parent_path() / ("live" + suffix + ".pcap");
}

std::string PcapStore::relative(const fs::path& file) const {
  return file.lexically_relative(options_.folder).string();
}

std::unique_ptr<CaptureSink> PcapStore::open(const run::Scenario& scenario, unsigned repetition) {
  const fs::path file = capture_file(scenario, repetition);
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  auto writer = PcapWriter::open(file.string());
  if (!writer) throw std::runtime_error("--out: " + writer.error().to_string());
  if (live_) {
    std::lock_guard lock(mu_);
    live_marks_[{&scenario, repetition}] = live_->mark();
  }
  return std::move(*writer);
}

run::CaptureStore::Stored PcapStore::read(const run::Scenario& scenario, unsigned repetition,
                                          Timestamp origin) {
  const fs::path file = capture_file(scenario, repetition);
  return Stored{relative(file), read_normalized(file, "the run's capture", origin)};
}

std::optional<run::NormalizedCapture> PcapStore::golden(const std::string& path) {
  const fs::path file = options_.root / path;
  if (!fs::is_regular_file(file)) return std::nullopt;
  return read_normalized(file, "the golden capture", std::nullopt);
}

void PcapStore::record_golden(const std::string& path, const run::NormalizedCapture& capture) {
  const fs::path file = options_.root / path;
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  auto written = write_normalized(file.string(), capture);
  if (!written) throw std::runtime_error("--update-captures: " + written.error().to_string());
}

run::LiveEvidence PcapStore::live_paths(const run::Scenario& scenario, unsigned repetition) const {
  run::LiveEvidence paths;
  paths.path = relative(live_file(scenario, repetition));
  paths.own_path = relative(capture_file(scenario, repetition));
  return paths;
}

run::LiveEvidence PcapStore::live(const run::Scenario& scenario, unsigned repetition) {
  if (!live_) throw std::logic_error("--live-capture: no live capture is running");
  std::uint64_t mark = 0;
  {
    std::lock_guard lock(mu_);
    mark = live_marks_[{&scenario, repetition}];
  }
  if (!live_->sync()) throw std::runtime_error("--live-capture: the capture thread fell behind");
  run::LiveEvidence evidence = live_paths(scenario, repetition);
  const fs::path file = capture_file(scenario, repetition);
  const fs::path live_pcap = live_file(scenario, repetition);
  const CaptureContents own = read_capture_file(file.string());
  std::set<ConversationKey> conversations;
  for (const ReadPdu& pdu : own.pdus)
    conversations.insert(conversation_key(pdu.src, pdu.dst));
  auto written = live_->write(live_pcap.string(), conversations, mark);
  if (!written) throw std::runtime_error("--live-capture: " + written.error());
  evidence.seen = read_normalized(live_pcap, "the live capture", {});
  evidence.teed = normalize(own);
  return evidence;
}

}  // namespace rpcfit::captures
