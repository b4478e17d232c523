#include "harness/model/verdict.h"

#include <algorithm>

namespace rpcfit::run {

std::string to_string(const Mismatch& mismatch) {
  // A scenario built in code has no file; its mismatches still read as sentences.
  const std::string where = to_string(mismatch.loc);
  std::string out = (where.empty() ? "" : where + ": ") + mismatch.field + ": expected " +
                    mismatch.expected + ", got " + mismatch.actual;
  if (!mismatch.detail.empty()) out += " (" + mismatch.detail + ")";
  if (!mismatch.rules.empty()) out += " [" + rules_text(mismatch.rules) + "]";
  return out;
}

std::string rules_text(const std::vector<std::string>& rules) {
  std::string out;
  for (const std::string& rule : rules)
    out += (out.empty() ? "" : ", ") + rule;
  return out;
}

std::vector<std::string> broken_rules(const std::vector<Mismatch>& mismatches) {
  std::vector<std::string> out;
  for (const Mismatch& m : mismatches) {
    for (const std::string& rule : m.rules) {
      if (std::find(out.begin(), out.end(), rule) == out.end()) out.push_back(rule);
    }
  }
  return out;
}

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::pass:
      return "PASS";
    case Verdict::fail:
      return "FAIL";
    case Verdict::error:
      return "ERROR";
    case Verdict::skip:
      return "SKIP";
    case Verdict::xfail:
      return "XFAIL";
    case Verdict::xpass:
      return "XPASS";
  }
  return "?";
}

bool fails_run(Verdict verdict) {
  switch (verdict) {
    case Verdict::fail:
    case Verdict::error:
    case Verdict::xpass:
      return true;
    case Verdict::pass:
    case Verdict::skip:
    case Verdict::xfail:
      return false;
  }
  return true;
}

Verdict verdict_of(bool known_failure, const std::vector<Mismatch>& mismatches) {
  if (known_failure) return mismatches.empty() ? Verdict::xpass : Verdict::xfail;
  return mismatches.empty() ? Verdict::pass : Verdict::fail;
}

}  // namespace rpcfit::run
