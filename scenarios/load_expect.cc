// `expect`: how calls end, what the server saw, and the client's view of the wire.
#include <algorithm>
#include <array>

#include "harness/check/wire_fields.h"
#include "harness/fault/fault_spec.h"
#include "harness/wire/pdu.h"
#include "scenarios/load_parts.h"

namespace rpcfit::scenarios::detail {
namespace {

constexpr std::array<std::string_view, 4> kExpectKeys{"call", "calls", "server", "wire"};
constexpr std::array<std::string_view, 8> kCallExpectKeys{
    "status", "raises", "returns", "at", "output_bytes", "output_hex", "output_digest", "running"};
// The keys of one server call; the flat form of expect.server takes them beside count and calls.
constexpr std::array<std::string_view, 11> kServerCallKeys{
    "opnum",         "saw_cancel",   "saw_cancel_at",   "finished",
    "stub_finished", "finished_at",  "finished_status", "started_at",
    "result",        "fault_status", "polled"};
constexpr std::array<std::string_view, 13> kServerKeys{
    "count",    "calls",         "opnum",       "saw_cancel",      "saw_cancel_at",
    "finished", "stub_finished", "finished_at", "finished_status", "started_at",
    "result",   "fault_status",  "polled"};
constexpr std::array<std::string_view, 3> kResults{"response", "fault", "discarded"};
constexpr std::array<std::string_view, 3> kWireKeys{"match", "pdus", "absent"};
constexpr std::array<std::string_view, 2> kMatches{"exact", "ordered"};
constexpr std::array<std::string_view, 2> kDirections{"out", "in"};

const std::vector<std::string_view>& wire_entry_keys() {
  static const std::vector<std::string_view> keys = [] {
    std::vector<std::string_view> out{"dir", "pdu", "at"};
    out.insert(out.end(), run::kPduFieldNames.begin(), run::kPduFieldNames.end());
    return out;
  }();
  return keys;
}

// The ptype names the codec knows, read back through the same table the fault parser uses.
const std::vector<std::string>& ptype_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (int v = 0; v < 256; ++v) {
      std::string name = wire::ptype_name(static_cast<std::uint8_t>(v));
      if (fault::ptype_from_name(name)) out.push_back(std::move(name));
    }
    return out;
  }();
  return names;
}

std::optional<run::ExpectedTime> read_time(Reader& r, const Entry& e, const std::string& path,
                                           ExpectNotes* notes) {
  auto d = r.duration(e.value, path);
  if (!d) return std::nullopt;
  run::ExpectedTime t{*d, r.loc(e.value)};
  if (notes) notes->times.push_back(TimeNote{path, t});
  return t;
}

// output_hex: the bytes; output_digest: "fnv1a64:" and 16 hex digits of them (digest.h).
void read_output(Reader& r, const YAML::Node& node, const std::string& path, run::CallExpect& out) {
  const auto hex = find(node, "output_hex");
  const auto digest = find(node, "output_digest");
  if (hex && digest) {
    r.error(digest->key, key_path(path, "output_digest"),
            "give output_hex or output_digest, not both");
    return;
  }
  if (hex) {
    out.output_loc = r.loc(hex->value);
    if (auto t = r.text(hex->value, key_path(path, "output_hex"))) {
      std::string problem;
      if (auto bytes = parse_hex(*t, problem)) {
        out.output = std::move(*bytes);
      } else {
        r.error(hex->value, key_path(path, "output_hex"), problem);
      }
    }
  }
  if (digest) {
    out.output_loc = r.loc(digest->value);
    if (auto t = r.text(digest->value, key_path(path, "output_digest"))) {
      const std::string_view prefix = "fnv1a64:";
      const bool hex_digits =
          t->size() == prefix.size() + 16 && t->compare(0, prefix.size(), prefix) == 0 &&
          t->find_first_not_of("0123456789abcdef", prefix.size()) == std::string::npos;
      if (hex_digits) {
        out.output_digest = *t;
      } else {
        r.error(digest->value, key_path(path, "output_digest"),
                "expected \"fnv1a64:\" and 16 lowercase hex digits (a mismatch prints the "
                "digest of what the call returned), got \"" +
                    *t + "\"");
      }
    }
  }
}

void read_call_expect(Reader& r, const YAML::Node& node, const std::string& path,
                      run::CallExpect& out, CallExpectNote& note) {
  out.loc = r.loc(node);
  if (!r.mapping(node, path, kCallExpectKeys)) return;
  const Entry* outcome = nullptr;  // the first of status, raises, returns
  std::optional<Entry> found[3];
  const std::array<std::string_view, 3> outcome_keys{"status", "raises", "returns"};
  for (std::size_t i = 0; i < 3; ++i) {
    found[i] = find(node, outcome_keys[i]);
    if (!found[i]) continue;
    if (outcome) {
      r.error(
          found[i]->key, key_path(path, outcome_keys[i]),
          "give one of status, raises and returns; this one already has " + outcome->key.Scalar());
      continue;
    }
    outcome = &*found[i];
    out.status_loc = r.loc(found[i]->value);
    const std::string key = key_path(path, outcome_keys[i]);
    if (i == 0) out.status = r.status(found[i]->value, key);
    if (i == 1) {
      note.raises = true;
      note.raises_loc = r.loc(found[i]->key);
      out.status = r.status(found[i]->value, key);
      if (out.status == status::kOk) {
        r.error(found[i]->value, key, "RPC_S_OK is not raised; use returns: true");
      }
    }
    if (i == 2) {
      auto b = r.boolean(found[i]->value, key);
      if (b && !*b) {
        r.error(found[i]->value, key, "returns takes only true; a failure is raises or status");
      }
      if (b && *b) out.status = status::kOk;
    }
  }
  auto at = find(node, "at");
  if (at) out.ended_at = read_time(r, *at, key_path(path, "at"), nullptr);
  if (auto e = find(node, "output_bytes")) {
    out.output_loc = r.loc(e->value);
    if (auto n = r.integer(e->value, key_path(path, "output_bytes"), 0, kMaxPayloadBytes)) {
      out.output_bytes = static_cast<std::size_t>(*n);
    }
  }
  read_output(r, node, path, out);
  if (auto e = find(node, "running")) {
    auto b = r.boolean(e->value, key_path(path, "running"));
    if (b) out.still_running = *b;
    if (b && *b && (outcome || at)) {
      r.error(e->key, key_path(path, "running"),
              "a call still running has no status, raises, returns or at");
    }
  }
}

void read_server_call(Reader& r, const YAML::Node& node, const std::string& path,
                      run::ServerCallExpect& out, ExpectNotes& notes) {
  out.loc = r.loc(node);
  for (std::string_view key : kServerCallKeys) {
    if (auto e = find(node, key)) out.key_locs[std::string(key)] = r.loc(e->key);
  }
  auto key = [&](std::string_view k) { return key_path(path, k); };
  if (auto e = find(node, "opnum")) {
    if (auto n = r.integer(e->value, key("opnum"), 0, 65535)) {
      out.opnum = static_cast<std::uint16_t>(*n);
    }
  }
  if (auto e = find(node, "saw_cancel")) out.saw_cancel = r.boolean(e->value, key("saw_cancel"));
  if (auto e = find(node, "saw_cancel_at")) {
    out.saw_cancel_at = read_time(r, *e, key("saw_cancel_at"), &notes);
  }
  auto finished = find(node, "finished");
  if (auto alias = find(node, "stub_finished")) {
    if (finished) {
      r.error(alias->key, key("stub_finished"),
              "stub_finished is another name for finished; give one of them");
    } else {
      finished = alias;
      // Checks look a key up by its model name; the alias points there too.
      out.key_locs["finished"] = r.loc(alias->key);
    }
  }
  if (finished) {
    out.finished = r.boolean(finished->value, key(finished->key.Scalar()));
  }
  if (auto e = find(node, "finished_status")) {
    out.finished_status = r.status(e->value, key("finished_status"));
  }
  if (auto e = find(node, "finished_at")) {
    out.finished_at = read_time(r, *e, key("finished_at"), &notes);
  }
  if (auto e = find(node, "started_at")) {
    out.started_at = read_time(r, *e, key("started_at"), &notes);
  }
  if (auto e = find(node, "polled")) {
    if (r.sequence(e->value, key("polled"))) {
      std::size_t i = 0;
      for (auto it = e->value.begin(); it != e->value.end(); ++it, ++i) {
        if (auto s = r.status(*it, index_path(key("polled"), i))) out.polled.push_back(*s);
      }
    }
  }
  if (auto e = find(node, "result")) {
    if (auto i = r.choice(e->value, key("result"), kResults, "result")) {
      constexpr std::array<run::ServerResult, 3> kValues{
          run::ServerResult::response, run::ServerResult::fault, run::ServerResult::discarded};
      out.result = kValues[*i];
    }
  }
  if (auto e = find(node, "fault_status")) {
    out.fault_status = r.nca_status(e->value, key("fault_status"));
  }
}

void read_server(Reader& r, const YAML::Node& node, run::ServerExpect& out, ExpectNotes& notes) {
  const std::string path = "expect.server";
  out.loc = r.loc(node);
  if (!r.mapping(node, path, kServerKeys)) return;
  const bool flat = std::any_of(kServerCallKeys.begin(), kServerCallKeys.end(),
                                [&](std::string_view k) { return find(node, k).has_value(); });
  if (auto e = find(node, "calls")) {
    if (flat) {
      r.error(e->key, key_path(path, "calls"),
              "give the first server call's keys or a calls list, not both");
    } else if (r.sequence(e->value, key_path(path, "calls"))) {
      std::size_t i = 0;
      for (auto it = e->value.begin(); it != e->value.end(); ++it, ++i) {
        const std::string item_path = index_path(key_path(path, "calls"), i);
        if (!r.mapping(*it, item_path, kServerCallKeys)) continue;
        read_server_call(r, *it, item_path, out.per_call.emplace_back(), notes);
      }
    }
  } else if (flat) {
    read_server_call(r, node, path, out.per_call.emplace_back(), notes);
  }
  if (auto e = find(node, "count")) {
    if (auto n = r.integer(e->value, key_path(path, "count"), 0, 1'000'000)) {
      out.calls = static_cast<std::size_t>(*n);
      if (out.calls < out.per_call.size()) {
        r.error(e->value, key_path(path, "count"),
                std::to_string(*n) + " is fewer than the " + std::to_string(out.per_call.size()) +
                    " server calls described");
      }
    }
  }
}

void read_wire_entry(Reader& r, const YAML::Node& node, const std::string& path,
                     run::WireExpect& out, ExpectNotes& notes) {
  out.loc = r.loc(node);
  if (!r.mapping(node, path, wire_entry_keys())) return;
  if (auto e = r.require(node, path, "dir")) {
    if (auto i = r.choice(e->value, key_path(path, "dir"), kDirections, "direction")) {
      out.out = *i == 0;
    }
  }
  if (auto e = r.require(node, path, "pdu")) {
    if (auto name = r.text(e->value, key_path(path, "pdu"))) {
      if (fault::ptype_from_name(*name)) {
        out.pdu = *name;
      } else {
        std::vector<std::string_view> known(ptype_names().begin(), ptype_names().end());
        r.error(e->value, key_path(path, "pdu"),
                "unknown PDU type " + in_quotes(*name) + did_you_mean(*name, known) +
                    "; known: " + join(known));
      }
    }
  }
  if (auto e = find(node, "at")) out.at = read_time(r, *e, key_path(path, "at"), &notes);
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) continue;
    const std::string field = it->first.Scalar();
    if (std::find(run::kPduFieldNames.begin(), run::kPduFieldNames.end(), field) ==
        run::kPduFieldNames.end())
      continue;
    if (!it->second.IsScalar()) {
      r.error(it->second, key_path(path, field),
              "expected a value such as 1 or \"LAST|PENDING_CANCEL\", got " + describe(it->second));
      continue;
    }
    out.fields[field] = it->second.Scalar();
    out.field_locs[field] = r.loc(it->second);
  }
}

void read_wire_list(Reader& r, const YAML::Node& node, const std::string& path,
                    std::vector<run::WireExpect>& out, ExpectNotes& notes) {
  if (!r.sequence(node, path)) return;
  std::size_t i = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++i) {
    read_wire_entry(r, *it, index_path(path, i), out.emplace_back(), notes);
  }
}

void read_wire(Reader& r, const YAML::Node& node, run::WireExpectations& out, ExpectNotes& notes) {
  const std::string path = "expect.wire";
  out.loc = r.loc(node);
  if (node.IsSequence()) {
    read_wire_list(r, node, path, out.pdus, notes);
    return;
  }
  if (!node.IsMap()) {
    r.error(
        node, path,
        "expected a list of PDUs or a mapping of match, pdus and absent, got " + describe(node));
    return;
  }
  if (!r.mapping(node, path, kWireKeys)) return;
  auto match = find(node, "match");
  auto pdus = find(node, "pdus");
  // Only `absent` written: an empty exact list would demand silence, which nobody means.
  if (!match && !pdus) out.match = run::WireMatch::ordered;
  if (match) {
    if (auto i = r.choice(match->value, key_path(path, "match"), kMatches, "match")) {
      out.match = *i == 0 ? run::WireMatch::exact : run::WireMatch::ordered;
    }
  }
  if (pdus) read_wire_list(r, pdus->value, key_path(path, "pdus"), out.pdus, notes);
  if (auto e = find(node, "absent")) {
    read_wire_list(r, e->value, key_path(path, "absent"), out.absent, notes);
  }
}

}  // namespace

void load_expect(Reader& r, const YAML::Node& node, run::Expectations& out, ExpectNotes& notes) {
  if (!r.mapping(node, "expect", kExpectKeys)) return;
  auto shorthand = find(node, "call");
  if (shorthand) {
    CallExpectNote& note = notes.calls.emplace_back();
    note.path = "expect.call";
    note.key_loc = r.loc(shorthand->key);
    note.shorthand = true;
    read_call_expect(r, shorthand->value, note.path, out.calls.emplace_back(), note);
  }
  if (auto e = find(node, "calls")) {
    if (shorthand) {
      r.error(e->key, "expect.calls", "give expect.call or expect.calls, not both");
    } else if (r.is_mapping(e->value, "expect.calls")) {
      for (auto it = e->value.begin(); it != e->value.end(); ++it) {
        if (!it->first.IsScalar()) continue;
        CallExpectNote& note = notes.calls.emplace_back();
        note.path = key_path("expect.calls", it->first.Scalar());
        note.key_loc = r.loc(it->first);
        run::CallExpect& call = out.calls.emplace_back();
        call.call = it->first.Scalar();
        read_call_expect(r, it->second, note.path, call, note);
      }
    }
  }
  if (auto e = find(node, "server")) read_server(r, e->value, out.server.emplace(), notes);
  if (auto e = find(node, "wire")) read_wire(r, e->value, out.wire.emplace(), notes);
}

}  // namespace rpcfit::scenarios::detail
