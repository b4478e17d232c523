// Test support: how tshark (Debian's 4.0) decodes the DCE/RPC PDUs of a capture, and the same
// summary taken from rpcfit's reader, so that tests can compare the two PDU by PDU.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "captures/capture_reader.h"

namespace rpcfit::captures::testing {

// The fields both decoders report for one PDU.
struct PduSummary {
  unsigned version = 0;
  unsigned ptype = 0;
  unsigned flags = 0;        // pfc_flags (CO) or flags1 (CL)
  unsigned long id = 0;      // call_id (CO) or seqnum (CL)
  unsigned frag_length = 0;  // CO frag_length; CL body length
  bool operator==(const PduSummary&) const = default;
};

// Per frame: the PDUs in stream order, and the values of the fields only some PDUs carry (in the
// order of the PDUs that carry them; tshark aggregates them per frame that way).
struct FrameSummary {
  std::vector<PduSummary> pdus;
  std::vector<unsigned long> cancel_counts;  // CO response and fault
  std::vector<unsigned long> statuses;       // CO fault, CL fault and reject
  std::vector<unsigned long> cancel_ids;     // CL cl_cancel and cancel_ack
  bool operator==(const FrameSummary&) const = default;
};

using CaptureSummary = std::map<std::uint64_t, FrameSummary>;

std::string tshark_path();  // empty when tshark is not installed

// tshark's decoding, leaving out frames where DCE/RPC is carried inside SMB or NetBIOS. nullopt
// (with `error` set) when tshark cannot be run.
std::optional<CaptureSummary> tshark_summary(const std::string& file, std::string& error);

// rpcfit's reading of the same file (decoded PDUs only).
CaptureSummary reader_summary(const CaptureContents& contents);

// A readable account of where two summaries differ; empty when equal.
std::string diff(const CaptureSummary& expected_tshark, const CaptureSummary& actual_rpcfit);

}  // namespace rpcfit::captures::testing
