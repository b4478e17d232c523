// The tree as a newcomer and CI find it: every #include keeps to the floor plan (layers.h), the
// sources are formatted by the pinned clang-format with the state machines' transition tables
// kept from its reflow, and the generated scenario matrix matches the tables it comes from.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "harness/layers.h"

namespace rpcfit::layers {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRoot = RPCFIT_SOURCE_DIR;
// The clang-format the sources are kept to: Debian 12's.
constexpr const char* kClangFormatVersion = "version 14.";

struct Output {
  int status = -1;
  std::string text;
};

// Runs `command` through the shell in the source root, standard error folded in.
Output run(const std::string& command) {
  Output out;
  const std::string line = "cd '" + std::string(kRoot) + "' && " + command + " 2>&1";
  FILE* pipe = ::popen(line.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0)
    out.text.append(buf.data(), n);
  const int status = ::pclose(pipe);
  out.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::vector<std::string> sources() {
  std::vector<std::string> files;
  for (const char* top : {"harness", "captures", "scenarios", "reports", "drivers"}) {
    for (const auto& e : fs::recursive_directory_iterator(fs::path(kRoot) / top)) {
      const std::string ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".h" || ext == ".cc")) {
        files.push_back(e.path().lexically_relative(kRoot).generic_string());
      }
    }
  }
  return files;
}

TEST(Tree, IncludesKeepToTheFloorPlan) {
  const auto includes = scan(kRoot);
  ASSERT_GT(includes.size(), 500u) << "the scan found too little of the tree under " << kRoot;
  std::string report;
  for (const Violation& v : check(includes))
    report += to_string(v) + "\n";
  EXPECT_EQ(report, "") << "includes against harness/layers.h's plan";
}

// The pinned clang-format: clang-format-14, or clang-format when it is version 14.
std::string clang_format() {
  for (const char* name : {"clang-format-14", "clang-format"}) {
    const Output v = run(std::string(name) + " --version");
    if (v.status == 0 && v.text.find(kClangFormatVersion) != std::string::npos) return name;
  }
  return "";
}

TEST(Tree, SourcesAreClangFormatted) {
  const std::string tool = clang_format();
  if (tool.empty()) {
    GTEST_SKIP() << "clang-format " << kClangFormatVersion
                 << " is not installed (apt-get install clang-format-14)";
  }
  const auto files = sources();
  std::string unformatted;
  for (std::size_t i = 0; i < files.size(); i += 50) {
    std::string command = tool + " --dry-run -Werror";
    for (std::size_t k = i; k < files.size() && k < i + 50; ++k)
      command += " '" + files[k] + "'";
    const Output out = run(command);
    if (out.status != 0) unformatted += out.text;
  }
  EXPECT_EQ(unformatted, "") << "fix with: " << tool << " -i <file>";
}

// A state machine's transition table (design.md) is a comment that clang-format would reflow
// into nonsense: it sits between `// clang-format off` and `// clang-format on`.
TEST(Tree, TransitionTablesAreKeptFromReflow) {
  std::string unprotected;
  std::size_t tables = 0;
  for (const std::string& file : sources()) {
    std::ifstream in(fs::path(kRoot) / file);
    std::string line;
    bool off = false;
    std::size_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.find("// clang-format off") != std::string::npos) off = true;
      if (line.find("// clang-format on") != std::string::npos) off = false;
      const std::size_t text = line.find_first_not_of(' ');
      if (text == std::string::npos || line.compare(text, 15, "// Transitions ") != 0 ||
          line.find("->") == std::string::npos) {
        continue;
      }
      ++tables;
      if (!off) unprotected += file + ":" + std::to_string(number) + "\n";
    }
  }
  EXPECT_GE(tables, 5u) << "the state machines' tables (design.md) were not found";
  EXPECT_EQ(unprotected, "") << "transition tables outside // clang-format off/on";
}

TEST(Tree, TheScenarioMatrixMatchesItsTables) {
  const Output out = run("/usr/bin/python3 tools/gen_matrix.py --check");
  EXPECT_EQ(out.status, 0) << out.text
                           << "(regenerate with tools/gen_matrix.py, then record the goldens)";
}

}  // namespace
}  // namespace rpcfit::layers
