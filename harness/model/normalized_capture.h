// A capture in its normalized form (captures/normalize.h makes it from a pcap): the PDUs in order,
// each with its conversation, direction, time since the origin and one-line text, so that two runs
// of one scenario compare equal when they did the same thing. Plain data for the capture checks
// (harness/check/capture_check.h) and the reports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/bytes.h"
#include "harness/core/endpoint.h"

namespace rpcfit::run {

struct NormalizedPdu {
  std::uint64_t frame = 0;    // in the capture it came from
  Timestamp at{};             // since the origin
  unsigned conversation = 1;  // 1-based, in order of appearance
  bool to_server = true;
  TransportKind transport = TransportKind::tcp;
  Bytes bytes;       // the PDU with the renumbered fields written in
  std::string text;  // its one-line form ("malformed: ..." when it does not decode)

  // What two captures must agree on exactly: "1 > request call_id=1 ..." (time aside).
  std::string key() const;
};

struct NormalizedCapture {
  std::vector<NormalizedPdu> pdus;
  std::vector<std::string> notes;    // the reader's notes, "frame N: text"
  std::optional<std::string> error;  // the file was truncated or corrupt (what came before is kept)

  // FNV-1a (64 bits, hex) over every PDU's key: changes when what the capture holds changes, not
  // when only its timing does.
  std::string digest() const;
};

// The live capture of one scenario run's conversations on an interface (--live-capture), beside
// the run's own capture.
struct LiveEvidence {
  std::string path;        // the live capture's file, relative to the run folder
  std::string own_path;    // the run's capture, relative to the run folder
  NormalizedCapture teed;  // the run's capture, normalized (times from its first PDU)
  NormalizedCapture seen;  // what the interface carried of the run's conversations
};

// What a capture check found for one scenario run, as the reports show it.
struct CaptureCheck {
  // match, differs, recorded (--update-captures wrote a new golden), updated (it replaced a
  // different one), unchanged (--update-captures found it equal), no-golden, skipped, error.
  std::string status;
  std::string path;    // this run's capture, relative to the run folder
  std::string golden;  // the golden's path as the scenario gives it (relative to the root)
  std::string digest;  // of the normalized capture (changes when what the capture holds changes)
  std::uint64_t pdus = 0;
  std::vector<std::string> diff;  // the readable diff, one line each
  std::string detail;             // why (skipped, error, no-golden)
};

}  // namespace rpcfit::run
