#include "harness/check/foreign_view.h"

#include <array>
#include <sstream>
#include <string_view>

namespace rpcfit::run {
namespace {

// PDU types an implementation sends as it chooses: connection setup and datagram flow control.
constexpr std::array<std::string_view, 6> kChosen{"bind",          "bind_ack",           "bind_nak",
                                                  "alter_context", "alter_context_resp", "fack"};

// The fields of a PDU's one-line form (wire/text.h) that the rules constrain.
constexpr std::array<std::string_view, 11> kConstrained{
    "call_id", "seqnum",       "opnum",     "flags",     "flags1", "flags2",
    "status",  "cancel_count", "cancel_id", "accepting", "no_body"};

// Flags a runtime sets as it chooses (multiplexing, object UUIDs, fragmenting, acknowledgement
// and idempotence of datagram calls).
constexpr std::array<std::string_view, 6> kChosenFlags{"CONC_MPX", "OBJECT_UUID", "FRAG",
                                                       "LASTFRAG", "NOFACK",      "IDEMPOTENT"};

template <std::size_t N>
bool among(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::string_view n : names) {
    if (n == name) return true;
  }
  return false;
}

// "FIRST|LAST|CONC_MPX" without the chosen flags; "none" when nothing is left.
std::string constrained_flags(std::string_view flags) {
  std::string kept;
  std::size_t start = 0;
  while (start <= flags.size()) {
    const std::size_t bar = flags.find('|', start);
    const std::string_view flag =
        flags.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start);
    if (!flag.empty() && flag != "none" && !among(kChosenFlags, flag)) {
      kept += (kept.empty() ? "" : "|") + std::string(flag);
    }
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  return kept.empty() ? "none" : kept;
}

// "request call_id=1 flags=FIRST|LAST ctx=0 opnum=3 alloc_hint=0 stub=0" ->
// "request call_id=1 flags=FIRST|LAST opnum=3".
std::string constrained_text(const std::string& text) {
  std::istringstream words(text);
  std::string type;
  words >> type;
  std::string out = type;
  std::string word;
  while (words >> word) {
    const auto eq = word.find('=');
    const std::string key = word.substr(0, eq);
    if (!among(kConstrained, key)) continue;
    if (eq != std::string::npos && (key == "flags" || key == "flags1" || key == "flags2")) {
      const std::string flags = constrained_flags(std::string_view(word).substr(eq + 1));
      if (flags != "none") out += " " + key + "=" + flags;
      continue;
    }
    out += " " + word;
  }
  return out;
}

}  // namespace

NormalizedCapture judged_view(const NormalizedCapture& capture, ForeignSide side) {
  NormalizedCapture view;
  view.notes = capture.notes;
  view.error = capture.error;
  if (side == ForeignSide::none) {
    view.pdus = capture.pdus;
    return view;
  }
  const bool to_server = side == ForeignSide::client;
  for (const NormalizedPdu& pdu : capture.pdus) {
    if (pdu.to_server != to_server) continue;
    const bool malformed = pdu.text.rfind("malformed", 0) == 0;
    const std::string type = pdu.text.substr(0, pdu.text.find(' '));
    if (!malformed && among(kChosen, type)) continue;
    NormalizedPdu kept = pdu;
    if (!malformed) kept.text = constrained_text(pdu.text);
    view.pdus.push_back(std::move(kept));
  }
  return view;
}

}  // namespace rpcfit::run
