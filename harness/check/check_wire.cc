// The wire part of check(): the client's PDUs against `expect.wire`, by direction, type, the
// fields of wire_fields.h and time. Actual PDUs are named "#k" by their index in the observation.
#include <algorithm>
#include <cctype>

#include "harness/check/check_internal.h"
#include "harness/check/wire_fields.h"
#include "harness/core/status.h"
#include "harness/wire/codec.h"
#include "harness/wire/text.h"

namespace rpcfit::run::internal {
namespace {

struct ActualPdu {
  std::size_t index = 0;
  const WirePdu* pdu = nullptr;
  bool decoded = false;
  PduFields fields;
  std::string text;  // wire::to_text, or why the bytes did not decode
};

std::vector<ActualPdu> decode_all(const Observation& observed) {
  std::vector<ActualPdu> out;
  for (std::size_t i = 0; i < observed.wire.size(); ++i) {
    ActualPdu a;
    a.index = i;
    a.pdu = &observed.wire[i];
    auto fields = pdu_fields(a.pdu->bytes);
    if (fields) {
      a.decoded = true;
      a.fields = std::move(*fields);
      a.text = wire::to_text(*wire::decode(a.pdu->bytes));
    } else {
      a.text = "undecodable " + std::to_string(a.pdu->bytes.size()) + " bytes: " + fields.error();
    }
    out.push_back(std::move(a));
  }
  return out;
}

std::string dir_text(bool out) {
  return out ? "out" : "in";
}

std::string type_of(const ActualPdu& a) {
  return a.decoded ? a.fields.at("type") : "undecodable";
}

std::string pdu_line(const ActualPdu& a) {
  return "#" + std::to_string(a.index) + " at " + format_instant(a.pdu->at) + ": " +
         dir_text(a.pdu->out) + " " + a.text;
}

// "out bind, in bind_ack, out request" from `from` on; "nothing" for none.
std::string sequence_text(const std::vector<ActualPdu>& actual, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < actual.size(); ++i) {
    if (!out.empty()) out += ", ";
    out += dir_text(actual[i].pdu->out) + " " + type_of(actual[i]);
  }
  return out.empty() ? "nothing" : out;
}

std::string expect_text(const WireExpect& expect) {
  std::string out = dir_text(expect.out) + " " + expect.pdu;
  for (const auto& [name, value] : expect.fields)
    out += " " + name + "=" + value;
  return out;
}

std::vector<std::string> flag_set(const std::string& text) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('|', start);
    if (end == std::string::npos) end = text.size();
    std::string name = text.substr(start, end - start);
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    names.push_back(name);
    start = end + 1;
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool same_ignoring_case(const std::string& a, const std::string& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// Text compare, with the spellings a scenario may reasonably use for the same value: flags in
// any order, a status by name or number, a UUID in either case.
bool field_matches(const std::string& name, const std::string& expected,
                   const std::string& actual) {
  if (expected == actual) return true;
  if (name == "flags" || name == "flags2") return flag_set(expected) == flag_set(actual);
  if (name == "status") {
    const auto e = parse_nca_status(expected);
    return e && e == parse_nca_status(actual);
  }
  if (name == "activity") return same_ignoring_case(expected, actual);
  return false;
}

bool matches(const WireExpect& expect, const ActualPdu& a) {
  if (!a.decoded || a.pdu->out != expect.out || type_of(a) != expect.pdu) return false;
  for (const auto& [name, value] : expect.fields) {
    const auto it = a.fields.find(name);
    if (it == a.fields.end() || !field_matches(name, value, it->second)) return false;
  }
  return true;
}

const SourceLoc& field_loc(const WireExpect& expect, const std::string& name) {
  const auto it = expect.field_locs.find(name);
  return it != expect.field_locs.end() ? loc_or(it->second, expect.loc) : expect.loc;
}

// Names the rules of an expected PDU (its type, or one of its fields) on out[from..].
void name_pdu_rules(const Scenario& scenario, const WireExpect& expect, const std::string& field,
                    std::vector<Mismatch>& out, std::size_t from,
                    ClaimKind kind = ClaimKind::wire_pdu) {
  name_rules(scenario, {kind, expect.pdu, field, {}}, out, from);
}

void check_at(const std::string& field, const WireExpect& expect, const ActualPdu& a,
              const Scenario& scenario, const TimingSettings& settings,
              std::vector<Mismatch>& out) {
  if (!expect.at) return;
  if (auto m = timing_mismatch(field, *expect.at, a.pdu->at, scenario, settings)) {
    m->loc = loc_or(expect.at->loc, expect.loc);
    m->detail += "; " + pdu_line(a);
    out.push_back(*m);
    name_pdu_rules(scenario, expect, {}, out, out.size() - 1);
  }
}

void check_position(std::size_t i, const WireExpect& expect, const ActualPdu& a,
                    const Scenario& scenario, const TimingSettings& settings,
                    std::vector<Mismatch>& out) {
  const std::string prefix = "wire[" + std::to_string(i) + "] ";
  const std::string detail = pdu_line(a);
  const std::size_t from = out.size();
  if (a.pdu->out != expect.out) {
    out.push_back({prefix + "dir", dir_text(expect.out), dir_text(a.pdu->out), expect.loc, detail});
  }
  if (type_of(a) != expect.pdu) {
    // Fields and time of another type of PDU would only repeat that it is the wrong one.
    out.push_back({prefix + "pdu", expect.pdu, type_of(a), expect.loc, detail});
    name_pdu_rules(scenario, expect, {}, out, from);
    return;
  }
  name_pdu_rules(scenario, expect, {}, out, from);
  for (const auto& [name, value] : expect.fields) {
    const auto it = a.fields.find(name);
    const std::string actual = it == a.fields.end() ? "(absent)" : it->second;
    if (it == a.fields.end() || !field_matches(name, value, actual)) {
      out.push_back({prefix + name, value, actual, field_loc(expect, name), detail});
      name_pdu_rules(scenario, expect, name, out, out.size() - 1);
    }
  }
  check_at(prefix + "at", expect, a, scenario, settings, out);
}

void check_exact(const WireExpectations& wire, const std::vector<ActualPdu>& actual,
                 const Scenario& scenario, const TimingSettings& settings,
                 std::vector<Mismatch>& out) {
  if (wire.pdus.size() != actual.size()) {
    out.push_back({"wire length", std::to_string(wire.pdus.size()), std::to_string(actual.size()),
                   wire.loc, sequence_text(actual, 0)});
    // The PDUs missing at the end, or the first one too many, say what the length broke.
    const std::size_t shorter = std::min(wire.pdus.size(), actual.size());
    const std::string pdu =
        wire.pdus.size() > shorter ? wire.pdus[shorter].pdu : type_of(actual[shorter]);
    name_rules(scenario, {ClaimKind::wire_pdu, pdu, {}, {}}, out, out.size() - 1);
  }
  const std::size_t n = std::min(wire.pdus.size(), actual.size());
  for (std::size_t i = 0; i < n; ++i) {
    check_position(i, wire.pdus[i], actual[i], scenario, settings, out);
  }
}

void check_ordered(const WireExpectations& wire, const std::vector<ActualPdu>& actual,
                   const Scenario& scenario, const TimingSettings& settings,
                   std::vector<Mismatch>& out) {
  std::size_t next = 0;
  std::optional<std::size_t> last;
  for (std::size_t j = 0; j < wire.pdus.size(); ++j) {
    const WireExpect& expect = wire.pdus[j];
    const std::string field = "wire[" + std::to_string(j) + "]";
    const auto found =
        std::find_if(actual.begin() + static_cast<std::ptrdiff_t>(next), actual.end(),
                     [&](const ActualPdu& a) { return matches(expect, a); });
    if (found == actual.end()) {
      // The next expectation is still looked for after the last match, so one missing PDU is
      // one mismatch rather than a cascade.
      const std::string after = last ? "after #" + std::to_string(*last) : "";
      out.push_back({field, expect_text(expect), last ? "not found " + after : "not found",
                     expect.loc, (last ? after : "seen") + ": " + sequence_text(actual, next)});
      name_pdu_rules(scenario, expect, {}, out, out.size() - 1);
      continue;
    }
    check_at(field + " at", expect, *found, scenario, settings, out);
    last = found->index;
    next = found->index + 1;
  }
}

void check_absent(const WireExpectations& wire, const std::vector<ActualPdu>& actual,
                  const Scenario& scenario, std::vector<Mismatch>& out) {
  for (std::size_t j = 0; j < wire.absent.size(); ++j) {
    const WireExpect& expect = wire.absent[j];
    for (const ActualPdu& a : actual) {
      if (!matches(expect, a)) continue;
      out.push_back({"wire absent[" + std::to_string(j) + "]", "no " + expect_text(expect),
                     "#" + std::to_string(a.index) + " at " + format_instant(a.pdu->at), expect.loc,
                     dir_text(a.pdu->out) + " " + a.text});
      name_pdu_rules(scenario, expect, {}, out, out.size() - 1, ClaimKind::wire_absent);
    }
  }
}

}  // namespace

void check_wire(const Scenario& scenario, const Observation& observed,
                const TimingSettings& settings, std::vector<Mismatch>& out) {
  if (!scenario.expect.wire) return;
  const WireExpectations& wire = *scenario.expect.wire;
  const std::vector<ActualPdu> actual = decode_all(observed);
  // `wire: {absent: [...]}` constrains nothing else; an empty list on its own still means that
  // nothing may be on the wire (a call refused before it is sent).
  if (wire.pdus.empty() && !wire.absent.empty()) {
    check_absent(wire, actual, scenario, out);
    return;
  }
  switch (wire.match) {
    case WireMatch::exact:
      check_exact(wire, actual, scenario, settings, out);
      break;
    case WireMatch::ordered:
      check_ordered(wire, actual, scenario, settings, out);
      break;
  }
  check_absent(wire, actual, scenario, out);
}

}  // namespace rpcfit::run::internal
