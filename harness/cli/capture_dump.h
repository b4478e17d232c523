// `rpcfit capture dump FILE [--json]`: one line per DCE/RPC PDU in a capture, frame number first.
#pragma once

#include <iosfwd>
#include <string>

#include <nlohmann/json.hpp>

#include "captures/capture_reader.h"

namespace rpcfit::cli {

// The JSON object for one PDU (one line of `--json`).
nlohmann::json pdu_json(const captures::ReadPdu& pdu, Timestamp first_time);
// The PDU in one line of text (wire::to_text), or "malformed N bytes: error" when its body does not
// decode.
std::string pdu_text(const captures::ReadPdu& pdu);
// The text line for one PDU: frame, relative time, endpoints, transport, then pdu_text.
std::string pdu_line(const captures::ReadPdu& pdu, Timestamp first_time);

// Prints the PDUs to `out` and notes and errors to `err`. Returns the exit status: 0, or 2 when
// the file cannot be read to its end (what was read before the fault is printed first).
int capture_dump(const std::string& file, bool json, std::ostream& out, std::ostream& err);

}  // namespace rpcfit::cli
