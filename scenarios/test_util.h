// Test helpers for the loader's tests: texts written as raw strings that start on the line after
// R"( (the leading newline is dropped so that line 1 is the first line shown).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "scenarios/loader.h"

namespace rpcfit::scenarios::testing {

inline constexpr const char* kFile = "t.yaml";

inline Loaded load(std::string_view text) {
  if (!text.empty() && text.front() == '\n') text.remove_prefix(1);
  return load_scenario_text(text, kFile);
}

// Every error as "t.yaml:line:column: message".
inline std::vector<std::string> errors_of(std::string_view text) {
  std::vector<std::string> out;
  for (const LoadError& e : load(text).errors)
    out.push_back(to_string(e));
  return out;
}

// The header every test scenario shares: lines 1 to 3.
inline std::string with_header(std::string_view rest) {
  std::string text = "id: t/x\ntitle: T\nspec: [CS-OK-1]\n";
  text += rest;
  return text;
}

}  // namespace rpcfit::scenarios::testing
