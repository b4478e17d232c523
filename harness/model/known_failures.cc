#include "harness/model/known_failures.h"

#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace rpcfit::run {
namespace {

// A known-failures file larger than this is not one.
constexpr std::size_t kMaxFile = 4 * 1024 * 1024;

// "CS-TMO-2": capitals and digits in dash-separated parts, at least two.
bool is_rule_id(std::string_view word) {
  if (word.empty() || word.find('-') == std::string_view::npos) return false;
  return std::all_of(word.begin(), word.end(), [](char c) {
    return std::isupper(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '-';
  });
}

// "known.txt:3".
std::string where(const KnownFailure& k) {
  return k.loc.file + ":" + std::to_string(k.loc.line);
}

}  // namespace

Result<KnownFailures, std::string> parse_known_failures(std::string_view text,
                                                        const std::string& file) {
  KnownFailures known;
  std::istringstream lines{std::string(text)};
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream words(line);
    KnownFailure k;
    if (!(words >> k.pattern)) continue;  // blank, or a comment
    std::getline(words, k.reason);
    const auto start = k.reason.find_first_not_of(" \t");
    k.reason = start == std::string::npos ? "" : k.reason.substr(start);
    while (!k.reason.empty() && std::isspace(static_cast<unsigned char>(k.reason.back())))
      k.reason.pop_back();
    k.loc = SourceLoc{file, number, 1};
    if (k.reason.empty()) {
      return unexpected(file + ":" + std::to_string(number) + ": " + k.pattern +
                        ": a known failure needs its reason after it");
    }
    k.rule = is_rule_id(k.pattern);
    known.entries.push_back(std::move(k));
  }
  return known;
}

Result<KnownFailures, std::string> read_known_failures(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return unexpected(path + ": cannot read");
  std::string text;
  text.resize(kMaxFile + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxFile) return unexpected(path + ": larger than 4 MiB: not a list");
  return parse_known_failures(text, path);
}

void apply_known_failures(const KnownFailures& known, ScenarioRun& run) {
  if (run.scenario == nullptr) return;
  if (run.verdict != Verdict::fail && run.verdict != Verdict::pass) return;
  const std::string& id = run.scenario->id;
  const KnownFailure* listed = nullptr;
  for (const KnownFailure& k : known.entries) {
    if (!k.rule && ::fnmatch(k.pattern.c_str(), id.c_str(), 0) == 0) {
      listed = &k;
      break;
    }
  }
  if (run.verdict == Verdict::pass) {
    if (listed == nullptr) return;
    run.verdict = Verdict::xpass;
    run.reason =
        "listed as a known failure (" + where(*listed) + ": " + listed->reason + ") but passed";
    return;
  }
  if (listed != nullptr) {
    run.verdict = Verdict::xfail;
    run.reason = "known failure (" + where(*listed) + ": " + listed->reason + "); " + run.reason;
    return;
  }
  const auto broken = broken_rules(run.mismatches);
  std::string reasons;
  for (const std::string& rule : broken) {
    const auto it =
        std::find_if(known.entries.begin(), known.entries.end(),
                     [&](const KnownFailure& k) { return k.rule && k.pattern == rule; });
    if (it == known.entries.end()) return;  // a rule broken that nobody knew of: a FAIL
    reasons += (reasons.empty() ? "" : "; ") + rule + " (" + where(*it) + ": " + it->reason + ")";
  }
  if (broken.empty()) return;
  run.verdict = Verdict::xfail;
  run.reason = "known failures: " + reasons + "; " + run.reason;
}

}  // namespace rpcfit::run
