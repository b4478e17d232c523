// Helpers shared by the tests of the expectation checks.
#pragma once

#include <string>
#include <vector>

#include "harness/check/checks.h"

namespace rpcfit::run::testing {

// A location in the scenario file every test scenario pretends to come from.
inline SourceLoc line(int n, int column = 3) {
  return SourceLoc{"s.yaml", n, column};
}

// Every part of a mismatch on one line, so that a failing test shows all of what differs.
inline std::string dump(const Mismatch& m) {
  return m.field + " | " + m.expected + " | " + m.actual + " | " + to_string(m.loc) + " | " +
         m.detail;
}

inline std::vector<std::string> dump(const std::vector<Mismatch>& mismatches) {
  std::vector<std::string> out;
  for (const auto& m : mismatches)
    out.push_back(dump(m));
  return out;
}

}  // namespace rpcfit::run::testing
