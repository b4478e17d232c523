// The scenario's setup: server, faults, client, timing.
#include <array>

#include "harness/fault/fault_spec.h"
#include "scenarios/load_parts.h"

namespace rpcfit::scenarios::detail {
namespace {

constexpr std::array<std::string_view, 11> kServerKeys{
    "behaviour", "delay",   "response_size",     "poll_period", "cleanup", "on_cancel",
    "poll_with", "run_for", "crash_after_bytes", "cancel_deaf", "ops"};
// The keys of one behaviour: the server's without the runtime's own (cancel_deaf, ops).
constexpr std::array<std::string_view, 9> kBehaviourKeys{
    "behaviour", "delay",     "response_size", "poll_period",      "cleanup",
    "on_cancel", "poll_with", "run_for",       "crash_after_bytes"};
constexpr std::array<std::string_view, 2> kOnCancel{"raise", "return"};
constexpr std::array<std::string_view, 2> kPollWith{"RpcTestCancel", "RpcServerTestCancel"};
constexpr std::array<std::string_view, 5> kClientKeys{"platform", "cancel_timeout", "access",
                                                      "dg_retransmit", "dg_comm_timeout"};
constexpr std::array<std::string_view, 2> kPlatforms{"windows", "legacy"};
constexpr std::array<std::string_view, 2> kTimingKeys{"tolerance", "percent"};

std::vector<std::string_view> behaviour_names() {
  std::vector<std::string_view> names;
  for (const auto& [kind, name] : server::kBehaviourNames)
    names.push_back(name);
  return names;
}

// The keys of `node` that describe a behaviour; the caller has checked the key set.
void read_behaviour(Reader& r, const YAML::Node& node, const std::string& path,
                    server::BehaviourSpec& out) {
  auto path_of = [&](std::string_view key) { return key_path(path, key); };
  if (auto e = find(node, "behaviour")) {
    const auto names = behaviour_names();
    if (auto i = r.choice(e->value, path_of("behaviour"), names, "behaviour")) {
      out.kind = server::kBehaviourNames[*i].first;
    }
  }
  auto read_duration = [&](std::string_view key, Duration& into) {
    if (auto e = find(node, key)) {
      if (auto d = r.duration(e->value, path_of(key))) into = *d;
    }
  };
  read_duration("delay", out.delay);
  read_duration("poll_period", out.poll_period);
  read_duration("cleanup", out.cleanup);
  if (auto e = find(node, "run_for")) out.run_for = r.duration(e->value, path_of("run_for"));
  if (auto e = find(node, "response_size")) {
    if (auto n = r.integer(e->value, path_of("response_size"), 0, kMaxPayloadBytes)) {
      out.response_size = static_cast<std::size_t>(*n);
    }
  }
  if (auto e = find(node, "crash_after_bytes")) {
    if (auto n = r.integer(e->value, path_of("crash_after_bytes"), 0, kMaxPayloadBytes)) {
      out.crash_after_bytes = static_cast<std::size_t>(*n);
    }
  }
  if (auto e = find(node, "on_cancel")) {
    if (auto i = r.choice(e->value, path_of("on_cancel"), kOnCancel, "on_cancel")) {
      out.on_cancel = *i == 0 ? server::OnCancel::raise : server::OnCancel::return_normally;
    }
  }
  if (auto e = find(node, "poll_with")) {
    if (auto i = r.choice(e->value, path_of("poll_with"), kPollWith, "poll_with")) {
      out.poll_with =
          *i == 0 ? server::PollWith::test_cancel : server::PollWith::server_test_cancel;
    }
  }
}

void read_ops(Reader& r, const YAML::Node& node, const std::string& path,
              std::map<std::uint16_t, server::BehaviourSpec>& out) {
  if (!r.is_mapping(node, path)) return;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) continue;  // is_mapping() reported it
    const std::string op_path = key_path(path, it->first.Scalar());
    auto opnum = r.integer(it->first, op_path, 0, 65535);
    if (!r.mapping(it->second, op_path, kBehaviourKeys)) continue;
    server::BehaviourSpec spec;
    read_behaviour(r, it->second, op_path, spec);
    if (opnum) out[static_cast<std::uint16_t>(*opnum)] = spec;
  }
}

}  // namespace

void load_server(Reader& r, const YAML::Node& node, run::ServerSetup& out) {
  const std::string path = "server";
  if (!r.mapping(node, path, kServerKeys)) return;
  out.loc = r.loc(node);
  read_behaviour(r, node, path, out.behaviour);
  if (auto e = find(node, "cancel_deaf")) {
    if (auto b = r.boolean(e->value, "server.cancel_deaf")) out.cancel_deaf = *b;
  }
  if (auto e = find(node, "ops")) read_ops(r, e->value, "server.ops", out.by_opnum);
}

void load_faults(Reader& r, const YAML::Node& node, std::vector<run::FaultEntry>& out) {
  if (!r.sequence(node, "faults")) return;
  std::size_t i = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++i) {
    const std::string path = index_path("faults", i);
    auto text = r.text(*it, path);
    if (!text) continue;
    auto spec = fault::parse_fault(*text);
    if (!spec.ok()) {
      // `[drop,pdu=x]` is two YAML items, not one fault: say so rather than leave it a puzzle.
      // A plain scalar's tag is "?"; a quoted one's is "!".
      const bool split = node.Style() == YAML::EmitterStyle::Flow && it->Tag() == "?" &&
                         text->find('=') != std::string::npos;
      r.error(*it, path,
              spec.error() + (split ? "; in a [...] list commas split items: quote each fault "
                                      "or write the list one item per line"
                                    : ""));
      continue;
    }
    out.push_back(run::FaultEntry{spec.value(), *text, r.loc(*it)});
  }
}

void load_client(Reader& r, const YAML::Node& node, run::ClientSetup& out) {
  if (!r.mapping(node, "client", kClientKeys)) return;
  out.loc = r.loc(node);
  if (auto e = find(node, "platform")) {
    if (auto i = r.choice(e->value, "client.platform", kPlatforms, "platform")) {
      out.legacy_platform = *i == 1;
    }
  }
  if (auto e = find(node, "cancel_timeout")) {
    out.cancel_timeout = r.seconds(e->value, "client.cancel_timeout");
  }
  if (auto e = find(node, "access")) {
    if (auto mask = r.access(e->value, "client.access")) out.access = *mask;
  }
  if (auto e = find(node, "dg_retransmit")) {
    out.dg_retransmit = r.duration(e->value, "client.dg_retransmit");
  }
  if (auto e = find(node, "dg_comm_timeout")) {
    out.dg_comm_timeout = r.duration(e->value, "client.dg_comm_timeout");
  }
}

void load_timing(Reader& r, const YAML::Node& node, run::Tolerance& out) {
  if (!r.mapping(node, "timing", kTimingKeys)) return;
  out.loc = r.loc(node);
  if (auto e = find(node, "tolerance")) {
    if (auto d = r.duration(e->value, "timing.tolerance")) out.absolute = *d;
  }
  if (auto e = find(node, "percent")) {
    if (auto p = r.number(e->value, "timing.percent", 0.0, 100.0)) out.percent = *p;
  }
}

}  // namespace rpcfit::scenarios::detail
