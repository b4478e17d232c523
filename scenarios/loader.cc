#include "scenarios/loader.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <system_error>

#include "harness/model/rules.h"
#include "scenarios/load_parts.h"
#include "scenarios/yaml_reader.h"

namespace rpcfit::scenarios {
namespace {

using detail::Entry;
using detail::Reader;

constexpr std::array<std::string_view, 16> kTopKeys{
    "id",     "title",  "spec",    "level", "tags",   "protseq", "server", "faults",
    "client", "timing", "timeout", "steps", "expect", "capture", "xfail",  "skip"};
constexpr std::array<std::string_view, 2> kLevels{"must", "should"};

bool id_char(char c, bool first) {
  const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  return alnum || (!first && (c == '.' || c == '_' || c == '-'));
}

// [a-z0-9][a-z0-9._-]* segments joined by '/'.
bool path_like(std::string_view id) {
  if (id.empty()) return false;
  bool segment_start = true;
  for (char c : id) {
    if (c == '/') {
      if (segment_start) return false;
      segment_start = true;
      continue;
    }
    if (!id_char(c, segment_start)) return false;
    segment_start = false;
  }
  return !segment_start;
}

bool tag_like(std::string_view tag) {
  if (tag.empty()) return false;
  return std::all_of(tag.begin(), tag.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::vector<std::string_view> rule_ids() {
  std::vector<std::string_view> ids;
  for (const run::Rule& rule : run::all_rules())
    ids.push_back(rule.id);
  return ids;
}

void load_spec(Reader& r, const YAML::Node& node, std::vector<std::string>& out) {
  if (!r.sequence(node, "spec")) return;
  if (node.size() == 0) r.error(node, "spec", "expected at least one rule ID such as CS-TMO-2");
  std::size_t i = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++i) {
    const std::string path = detail::index_path("spec", i);
    auto id = r.non_empty(*it, path);
    if (!id) continue;
    if (!run::find_rule(*id)) {
      r.error(*it, path,
              "unknown rule ID " + detail::in_quotes(*id) + detail::did_you_mean(*id, rule_ids()) +
                  " (the rules are spec/cancel-semantics.md's)");
      continue;
    }
    out.push_back(*id);
  }
}

void load_tags(Reader& r, const YAML::Node& node, std::vector<std::string>& out) {
  if (!r.sequence(node, "tags")) return;
  std::size_t i = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++i) {
    const std::string path = detail::index_path("tags", i);
    auto tag = r.text(*it, path);
    if (!tag) continue;
    if (!tag_like(*tag)) {
      r.error(*it, path, detail::in_quotes(*tag) + " is not a tag (a-z, 0-9, '_' and '-')");
      continue;
    }
    out.push_back(*tag);
  }
}

void load_reason(Reader& r, const YAML::Node& root, std::string_view key,
                 std::optional<std::string>& out) {
  if (auto e = detail::find(root, key)) out = r.non_empty(e->value, std::string(key));
}

run::Scenario read_scenario(Reader& r, const YAML::Node& root) {
  run::Scenario s;
  // Parts the file leaves out still name the file in messages about their defaults.
  s.loc = s.server.loc = s.client.loc = s.tolerance.loc = r.file_loc();
  if (!root.IsMap()) {
    r.error(root, "",
            "expected a mapping of scenario keys (id, title, ...), got " + detail::describe(root));
    return s;
  }
  r.mapping(root, "", kTopKeys);
  if (auto e = r.require(root, "", "id")) {
    if (auto id = r.text(e->value, "id")) {
      if (path_like(*id)) {
        s.id = *id;
      } else {
        r.error(e->value, "id",
                detail::in_quotes(*id) +
                    " is not a path-like id: segments of a-z, 0-9, '.', '_' and '-', each "
                    "starting with a letter or digit, joined by '/'");
      }
    }
  }
  if (auto e = r.require(root, "", "title")) {
    if (auto title = r.non_empty(e->value, "title")) s.title = *title;
  }
  if (auto e = r.require(root, "", "spec")) load_spec(r, e->value, s.spec);
  if (auto e = detail::find(root, "level")) {
    if (auto i = r.choice(e->value, "level", kLevels, "level")) {
      s.level = *i == 0 ? run::Level::must : run::Level::should;
    }
  }
  if (auto e = detail::find(root, "tags")) load_tags(r, e->value, s.tags);
  if (auto e = detail::find(root, "protseq")) {
    if (auto i = r.choice(e->value, "protseq", run::kProtseqNames, "protocol sequence")) {
      s.protseq = std::string(run::kProtseqNames[*i]);
    }
  }
  if (auto e = detail::find(root, "server")) detail::load_server(r, e->value, s.server);
  if (auto e = detail::find(root, "faults")) detail::load_faults(r, e->value, s.faults);
  if (auto e = detail::find(root, "client")) detail::load_client(r, e->value, s.client);
  if (auto e = detail::find(root, "timing")) detail::load_timing(r, e->value, s.tolerance);
  if (auto e = detail::find(root, "timeout")) {
    if (auto d = r.duration(e->value, "timeout")) s.timeout = d;
  }
  std::vector<detail::StepNote> step_notes;
  if (auto e = r.require(root, "", "steps")) {
    detail::load_steps(r, e->value, s.steps, step_notes);
  }
  detail::ExpectNotes expect_notes;
  if (auto e = detail::find(root, "expect")) {
    detail::load_expect(r, e->value, s.expect, expect_notes);
  }
  if (auto e = detail::find(root, "capture")) {
    s.capture = r.non_empty(e->value, "capture");
    if (s.capture == "none") {
      s.capture.reset();
      s.golden = false;
    }
  }
  load_reason(r, root, "xfail", s.xfail);
  load_reason(r, root, "skip", s.skip);
  detail::check_timeline(r, s, step_notes, expect_notes);
  return s;
}

// Errors in the order of the file, so that a long list reads top to bottom.
void sort_errors(std::vector<LoadError>& errors) {
  std::stable_sort(errors.begin(), errors.end(), [](const LoadError& a, const LoadError& b) {
    if (a.loc.line != b.loc.line) return a.loc.line < b.loc.line;
    return a.loc.column < b.loc.column;
  });
}

Loaded finish(Reader& r, std::optional<run::Scenario> scenario) {
  Loaded out;
  const std::size_t dropped = r.dropped();
  out.errors = r.take_errors();
  sort_errors(out.errors);
  if (dropped > 0) {
    out.errors.push_back(
        LoadError{r.file_loc(), "and " + std::to_string(dropped) + " more errors, not shown"});
  }
  if (out.errors.empty()) out.scenario = std::move(scenario);
  return out;
}

}  // namespace

std::string to_string(const LoadError& error) {
  return run::to_string(error.loc) + ": " + error.message;
}

Loaded load_scenario_text(std::string_view text, const std::string& file_name) {
  Reader r(file_name);
  if (text.size() > detail::kMaxFileBytes) {
    r.error(r.file_loc(), "", "file too large (over 1 MiB)");
    return finish(r, std::nullopt);
  }
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    run::SourceLoc loc = r.file_loc();
    if (!e.mark.is_null()) loc = run::SourceLoc{file_name, e.mark.line + 1, e.mark.column + 1};
    r.error(loc, "", "YAML syntax error: " + e.msg);
    return finish(r, std::nullopt);
  }
  if (documents.empty()) {
    r.error(run::SourceLoc{file_name, 1, 1}, "", "the file is empty; expected a scenario");
    return finish(r, std::nullopt);
  }
  if (documents.size() > 1) {
    r.error(documents[1], "", "a scenario file holds one YAML document; this is a second");
  }
  run::Scenario scenario = read_scenario(r, documents.front());
  return finish(r, std::move(scenario));
}

Loaded load_scenario_file(const std::filesystem::path& file) {
  const std::string name = file.string();
  auto one_error = [&](std::string message) {
    Loaded out;
    out.errors.push_back(LoadError{run::SourceLoc{name, 0, 0}, std::move(message)});
    return out;
  };
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) return one_error("cannot read: is a directory");
  std::ifstream in(file, std::ios::binary);
  if (!in) return one_error(std::string("cannot read: ") + std::strerror(errno));
  // One byte past the cap tells a file at the cap from a larger one without reading it all.
  std::string text(detail::kMaxFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return one_error("cannot read: I/O error");
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > detail::kMaxFileBytes) return one_error("file too large (over 1 MiB)");
  return load_scenario_text(text, name);
}

std::vector<std::filesystem::path> find_scenario_files(const std::vector<std::string>& paths,
                                                       std::vector<LoadError>& errors) {
  namespace fs = std::filesystem;
  std::vector<fs::path> out;
  std::set<fs::path> seen;
  auto add = [&](const fs::path& p) {
    if (seen.insert(p.lexically_normal()).second) out.push_back(p);
  };
  for (const std::string& arg : paths) {
    const fs::path path(arg);
    auto fail = [&](const std::string& message) {
      errors.push_back(LoadError{run::SourceLoc{arg, 0, 0}, message});
    };
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
      fail("no such file or directory");
      continue;
    }
    if (!fs::is_directory(st)) {
      add(path);
      continue;
    }
    std::vector<fs::path> found;
    fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const fs::path& p = it->path();
      const std::string ext = p.extension().string();
      std::error_code type_ec;
      if ((ext == ".yaml" || ext == ".yml") && it->is_regular_file(type_ec)) found.push_back(p);
    }
    if (ec) fail("cannot list: " + ec.message());
    std::sort(found.begin(), found.end());
    for (const fs::path& p : found)
      add(p);
  }
  return out;
}

std::vector<LoadError> check_suite(const std::vector<run::Scenario>& scenarios) {
  std::vector<LoadError> errors;
  std::map<std::string, const run::Scenario*> first;
  for (const run::Scenario& s : scenarios) {
    const auto [it, fresh] = first.emplace(s.id, &s);
    if (fresh) continue;
    errors.push_back(LoadError{s.loc, "id: duplicate scenario id \"" + s.id + "\"" + ", first in " +
                                          run::to_string(it->second->loc)});
  }
  return errors;
}

}  // namespace rpcfit::scenarios
