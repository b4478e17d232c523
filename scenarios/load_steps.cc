// The timeline: `steps`, each an instant and one action. Checks that need only the step itself are
// here; those across steps are in timeline_check.cc.
#include <array>

#include "scenarios/load_parts.h"

namespace rpcfit::scenarios::detail {
namespace {

using run::StepKind;

Names keys_of(StepKind kind) {
  return run::traits(kind).keys;
}

// "at" and every step kind's key: what a step's mapping may hold.
std::vector<std::string_view> step_keys() {
  std::vector<std::string_view> keys{"at"};
  for (const auto& k : run::kStepTraits)
    keys.push_back(k.name);
  return keys;
}

std::vector<std::string_view> kind_names() {
  std::vector<std::string_view> names;
  for (const auto& k : run::kStepTraits)
    names.push_back(k.name);
  return names;
}

class StepReader {
 public:
  StepReader(Reader& r, const YAML::Node& body, run::Step& step, StepNote& note)
      : r_(r), body_(body), step_(step), note_(note) {}

  void read() {
    if (auto e = find(body_, "returns_within")) {  // only the API steps' key sets have it
      step_.returns_within_loc = r_.loc(e->value);
      step_.returns_within = r_.duration(e->value, path("returns_within"));
    }
    switch (step_.kind) {
      case StepKind::call:
        read_call();
        return;
      case StepKind::cancel:
        read_target(true);
        read_seconds(false);
        read_expect();
        return;
      case StepKind::cancel_thread:
        read_target(true);
        read_expect();
        return;
      case StepKind::async_cancel:
        read_call_name();
        if (auto e = find(body_, "abortive")) {
          if (auto b = r_.boolean(e->value, path("abortive"))) step_.abortive = *b;
        }
        read_expect();
        return;
      case StepKind::set_cancel_timeout:
        read_thread();
        read_seconds(true);
        read_expect();
        return;
      case StepKind::open_thread:
        read_open_thread();
        return;
      case StepKind::close_handle:
        if (auto e = r_.require(body_, note_.path, "handle")) read_handle(*e);
        if (auto e = find(body_, "expect")) {
          step_.expect_loc = r_.loc(e->value);
          if (auto b = r_.boolean(e->value, path("expect"))) {
            step_.expect = *b ? status::kOk : status::kInvalidArg;
          }
        }
        return;
      case StepKind::wait:
        read_call_name();
        return;
    }
  }

 private:
  std::string path(std::string_view key) const { return key_path(note_.path, key); }

  void read_call() {
    if (auto e = find(body_, "id")) {
      note_.call_loc = r_.loc(e->value);
      if (auto id = r_.non_empty(e->value, path("id"))) step_.call = *id;
    }
    read_thread();
    if (auto e = find(body_, "opnum")) {
      if (auto n = r_.integer(e->value, path("opnum"), 0, 65535)) {
        step_.opnum = static_cast<std::uint16_t>(*n);
      }
    }
    auto in_bytes = find(body_, "in_bytes");
    if (in_bytes) {
      if (auto n = r_.integer(in_bytes->value, path("in_bytes"), 0, kMaxPayloadBytes)) {
        step_.input = counting_bytes(static_cast<std::size_t>(*n));
      }
    }
    if (auto e = find(body_, "in_hex")) {
      if (in_bytes) {
        r_.error(e->key, path("in_hex"), "give in_bytes or in_hex, not both");
      } else if (auto t = r_.text(e->value, path("in_hex"))) {
        std::string problem;
        if (auto bytes = parse_hex(*t, problem)) {
          step_.input = std::move(*bytes);
        } else {
          r_.error(e->value, path("in_hex"), problem);
        }
      }
    }
    if (auto e = find(body_, "async")) {
      if (auto b = r_.boolean(e->value, path("async"))) step_.async = *b;
    }
  }

  void read_thread() {
    if (auto e = find(body_, "thread")) {
      note_.has_thread = true;
      note_.thread_loc = r_.loc(e->value);
      if (auto t = r_.non_empty(e->value, path("thread"))) step_.thread = *t;
    }
  }

  void read_handle(const Entry& e) {
    note_.has_handle = true;
    note_.handle_loc = r_.loc(e.value);
    if (e.value.IsNull()) {
      step_.null_handle = true;
      return;
    }
    if (auto h = r_.non_empty(e.value, path("handle"))) step_.handle = *h;
  }

  // cancel, cancel_thread: the target is a thread or a handle, exactly one.
  void read_target(bool takes_access) {
    read_thread();
    if (auto e = find(body_, "handle")) read_handle(*e);
    if (note_.has_thread && note_.has_handle) {
      r_.error(body_, note_.path, "give thread or handle, not both");
    } else if (!note_.has_thread && !note_.has_handle) {
      r_.error(body_, note_.path,
               "give thread (a client thread) or handle (an open_thread handle, or null)");
    }
    if (!takes_access) return;
    if (auto e = find(body_, "access")) {
      if (note_.has_handle) {
        r_.error(e->key, path("access"),
                 "access is for the handle opened for a thread; a given handle has its own");
      }
      step_.access = r_.access(e->value, path("access"));
    }
  }

  void read_open_thread() {
    if (auto e = r_.require(body_, note_.path, "handle")) {
      if (e->value.IsNull()) {
        r_.error(e->value, path("handle"), "expected a name for the handle, got null");
      } else {
        read_handle(*e);
      }
    }
    if (r_.require(body_, note_.path, "thread")) read_thread();
    if (auto e = find(body_, "access")) step_.access = r_.access(e->value, path("access"));
  }

  void read_seconds(bool required) {
    auto e = required ? r_.require(body_, note_.path, "timeout") : find(body_, "timeout");
    if (!e) return;
    if (auto t = r_.seconds(e->value, path("timeout"))) step_.timeout = *t;
  }

  void read_call_name() {
    auto e = r_.require(body_, note_.path, "call");
    if (!e) return;
    note_.call_loc = r_.loc(e->value);
    if (auto c = r_.non_empty(e->value, path("call"))) step_.call = *c;
  }

  void read_expect() {
    auto e = find(body_, "expect");
    if (!e) return;
    step_.expect_loc = r_.loc(e->value);
    step_.expect = r_.status(e->value, path("expect"));
  }

  Reader& r_;
  const YAML::Node& body_;
  run::Step& step_;
  StepNote& note_;
};

// The step's kind, from its one step key; reported when there is none or more than one.
std::optional<Entry> step_key(Reader& r, const YAML::Node& item, const std::string& path,
                              StepKind& kind) {
  std::optional<Entry> found;
  for (auto it = item.begin(); it != item.end(); ++it) {
    if (!it->first.IsScalar()) continue;
    for (const auto& k : run::kStepTraits) {
      if (k.name != it->first.Scalar()) continue;
      if (found) {
        r.error(it->first, key_path(path, k.name),
                "a step has one step key; this one already has " + found->key.Scalar());
        break;
      }
      found = Entry{it->first, it->second};
      kind = k.kind;
    }
  }
  if (!found) {
    r.error(item, path, "no step key; expected one of " + join(kind_names()));
  }
  return found;
}

}  // namespace

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<Bytes> parse_hex(std::string_view text, std::string& problem) {
  Bytes out;
  int high = -1;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n') {
      if (high < 0) continue;
      problem = in_quotes(text) + " splits a byte with a blank";
      return std::nullopt;
    }
    const int d = hex_digit(c);
    if (d < 0) {
      problem = in_quotes(text) + " is not hex: " + in_quotes(std::string_view(&c, 1));
      return std::nullopt;
    }
    if (high < 0) {
      high = d;
    } else {
      out.push_back(static_cast<std::uint8_t>(high * 16 + d));
      high = -1;
    }
  }
  if (high >= 0) {
    problem = in_quotes(text) + " is not whole bytes (an odd number of hex digits)";
    return std::nullopt;
  }
  return out;
}

void load_steps(Reader& r, const YAML::Node& node, std::vector<run::Step>& out,
                std::vector<StepNote>& notes) {
  if (!r.sequence(node, "steps")) return;
  if (node.size() == 0) r.error(node, "steps", "expected at least one step");
  int calls = 0;
  std::size_t i = 0;
  const std::vector<std::string_view> keys = step_keys();
  for (auto it = node.begin(); it != node.end(); ++it, ++i) {
    const YAML::Node item = *it;
    const std::string path = index_path("steps", i);
    run::Step step;
    StepNote note;
    step.loc = r.loc(item);
    note.path = path;
    if (r.mapping(item, path, keys)) {
      if (auto e = r.require(item, path, "at")) {
        if (auto at = r.duration(e->value, key_path(path, "at"))) {
          step.at = *at;
          note.at_loc = r.loc(e->value);
        }
      }
      StepKind kind = StepKind::call;
      if (auto e = step_key(r, item, path, kind)) {
        step.kind = kind;
        note.kind_known = true;
        note.path = key_path(path, e->key.Scalar());
        if (kind == StepKind::call) {
          // A call with a broken body still takes its place in the default ids that follow.
          step.call = "call" + std::to_string(++calls);
          note.call_loc = step.loc;
        }
        if (r.mapping(e->value, note.path, keys_of(kind))) {
          note.valid = true;
          StepReader(r, e->value, step, note).read();
        }
      }
    }
    out.push_back(std::move(step));
    notes.push_back(std::move(note));
  }
}

}  // namespace rpcfit::scenarios::detail
