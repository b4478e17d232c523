// The comparison of two normalized captures (a golden and a run's) with a readable diff.
//
// compare() aligns the two sequences of PDUs by their keys (conversation, direction and the PDU's
// one-line form; normalized_capture.h) with a longest common subsequence, so that one missing or
// extra PDU shows as one line and not as a cascade; PDUs that match are then compared in time,
// within `tolerance` of the golden's instant.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "harness/model/normalized_capture.h"

namespace rpcfit::run {

// How far an actual instant may be from the golden's instant `expected`.
using TimeTolerance = std::function<Timestamp(Timestamp expected)>;

struct CaptureDiff {
  bool same = true;
  std::size_t missing = 0;            // in the golden, not in the actual capture ("-")
  std::size_t extra = 0;              // in the actual capture only ("+")
  std::size_t mistimed = 0;           // in both, beyond the tolerance ("~")
  std::vector<std::size_t> extra_at;  // the extra PDUs' indices in the actual capture
  // A header, then one line per PDU ("-", "+", "~", or " " for context), with the frame numbers
  // and times of both sides; long runs of equal PDUs are cut to 3 lines of context.
  std::vector<std::string> lines;

  // "2 missing, 1 extra, 1 mistimed"
  std::string summary() const;
};

CaptureDiff compare(const NormalizedCapture& golden, const NormalizedCapture& actual,
                    const TimeTolerance& tolerance);

}  // namespace rpcfit::run
