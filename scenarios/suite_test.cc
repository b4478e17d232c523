// Files and suites: reading files, finding scenario files under folders, suite-wide checks, and
// the project's own suite loading without a single error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "scenarios/loader.h"
#include "scenarios/test_util.h"

namespace rpcfit::scenarios {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr const char* kValid =
    "id: a/b\ntitle: T\nspec: [CS-OK-1]\nsteps:\n  - {at: 0ms, call: {}}\n";

// A fresh directory, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "rpcfit-loader-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  fs::path write(const std::string& relative, std::string_view text) const {
    const fs::path file = path_ / relative;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }

 private:
  fs::path path_;
};

std::vector<std::string> relative_names(const std::vector<fs::path>& files, const fs::path& base) {
  std::vector<std::string> out;
  for (const fs::path& f : files)
    out.push_back(fs::relative(f, base).generic_string());
  return out;
}

TEST(FindScenarioFiles, RecursiveSortedYamlOnly) {
  TempDir dir;
  dir.write("timeout/b.yaml", kValid);
  dir.write("timeout/a.yml", kValid);
  dir.write("cancel/z/deep.yaml", kValid);
  dir.write("cancel/notes.md", "not a scenario");
  dir.write("cancel/fixture.yaml.txt", "not a scenario either");
  std::vector<LoadError> errors;
  const auto files = find_scenario_files({dir.path().string()}, errors);
  EXPECT_THAT(errors, IsEmpty());
  EXPECT_THAT(relative_names(files, dir.path()),
              ElementsAre("cancel/z/deep.yaml", "timeout/a.yml", "timeout/b.yaml"));
}

TEST(FindScenarioFiles, FilesAsGivenAndMissingPaths) {
  TempDir dir;
  const fs::path odd = dir.write("odd.txt", kValid);
  dir.write("x/one.yaml", kValid);
  std::vector<LoadError> errors;
  const std::string missing = (dir.path() / "nope").string();
  const auto files = find_scenario_files(
      {odd.string(), missing, (dir.path() / "x").string(), odd.string()}, errors);
  EXPECT_THAT(relative_names(files, dir.path()), ElementsAre("odd.txt", "x/one.yaml"))
      << "a file is taken as it is, once";
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(to_string(errors[0]), missing + ": no such file or directory");
}

TEST(LoadScenarioFile, ReadsAndNamesTheFile) {
  TempDir dir;
  const fs::path good = dir.write("good.yaml", kValid);
  const Loaded loaded = load_scenario_file(good);
  ASSERT_TRUE(loaded.scenario.has_value());
  EXPECT_EQ(loaded.scenario->loc.file, good.string());

  const fs::path bad = dir.write("bad.yaml", "id: a/b\ntitle: T\nspec: [CS-OK-1]\nsteps: 3\n");
  const Loaded failed = load_scenario_file(bad);
  ASSERT_EQ(failed.errors.size(), 1u);
  EXPECT_EQ(to_string(failed.errors[0]), bad.string() + ":4:8: steps: expected a list, got \"3\"");
}

TEST(LoadScenarioFile, UnreadableFiles) {
  TempDir dir;
  const fs::path missing = dir.path() / "missing.yaml";
  EXPECT_THAT(
      load_scenario_file(missing).errors,
      ElementsAre(::testing::Field(&LoadError::message, "cannot read: No such file or directory")));
  EXPECT_THAT(load_scenario_file(dir.path()).errors,
              ElementsAre(::testing::Field(&LoadError::message, "cannot read: is a directory")));
  std::string big(std::size_t{1} << 20, '#');
  big += "\n";
  const fs::path large = dir.write("large.yaml", big);
  const Loaded loaded = load_scenario_file(large);
  ASSERT_EQ(loaded.errors.size(), 1u);
  EXPECT_EQ(to_string(loaded.errors[0]), large.string() + ": file too large (over 1 MiB)");
}

TEST(CheckSuite, DuplicateIdsNameBothFiles) {
  auto scenario = [](std::string file, std::string id) {
    run::Scenario s;
    s.loc = run::SourceLoc{std::move(file), 0, 0};
    s.id = std::move(id);
    return s;
  };
  const std::vector<run::Scenario> suite{scenario("a.yaml", "x/one"), scenario("b.yaml", "x/two"),
                                         scenario("c.yaml", "x/one")};
  const auto errors = check_suite(suite);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(to_string(errors[0]), "c.yaml: id: duplicate scenario id \"x/one\", first in a.yaml");
  EXPECT_THAT(check_suite({suite[0], suite[1]}), IsEmpty());
}

struct ProjectSuiteFiles {
  std::vector<run::Scenario> scenarios;
  std::vector<std::string> errors;
  std::size_t files = 0;
};

ProjectSuiteFiles load_project_suite() {
  ProjectSuiteFiles out;
  std::vector<LoadError> errors;
  const auto files = find_scenario_files({RPCFIT_SCENARIOS_DIR}, errors);
  out.files = files.size();
  for (const fs::path& file : files) {
    Loaded loaded = load_scenario_file(file);
    for (LoadError& e : loaded.errors)
      errors.push_back(std::move(e));
    if (loaded.scenario) out.scenarios.push_back(std::move(*loaded.scenario));
  }
  for (LoadError& e : check_suite(out.scenarios))
    errors.push_back(std::move(e));
  for (const LoadError& e : errors)
    out.errors.push_back(to_string(e));
  return out;
}

// The suite in this folder: every file loads cleanly and ids are unique.
TEST(ProjectSuite, EveryScenarioLoads) {
  const auto suite = load_project_suite();
  EXPECT_THAT(suite.errors, IsEmpty());
  EXPECT_GT(suite.files, 0u);
  RecordProperty("scenario_files", static_cast<int>(suite.files));
}

// Every server behaviour (and the cancel-deaf runtime) and every protocol sequence is played by
// at least one scenario that is meant to pass: neither skipped nor marked as a known failure.
TEST(ProjectSuite, EveryBehaviourAndProtocolSequenceIsPlayed) {
  const auto suite = load_project_suite();
  ASSERT_THAT(suite.errors, IsEmpty());
  std::set<std::string> behaviours;
  std::set<std::string> protseqs;
  for (const run::Scenario& s : suite.scenarios) {
    if (s.skip || s.xfail) continue;
    protseqs.insert(s.protseq);
    behaviours.insert(std::string(server::behaviour_name(s.server.behaviour.kind)));
    for (const auto& [opnum, spec] : s.server.by_opnum)
      behaviours.insert(std::string(server::behaviour_name(spec.kind)));
    if (s.server.cancel_deaf) behaviours.insert("cancel_deaf");
  }
  for (const auto& [kind, name] : server::kBehaviourNames)
    EXPECT_EQ(behaviours.count(std::string(name)), 1u) << "no scenario plays " << name;
  EXPECT_EQ(behaviours.count("cancel_deaf"), 1u) << "no scenario has cancel_deaf: true";
  for (const auto name : run::kProtseqNames)
    EXPECT_EQ(protseqs.count(std::string(name)), 1u) << "no scenario runs on " << name;
}

// The README's examples are part of the schema's documentation: whole scenarios load as they
// are, and a `steps:` example loads under a header.
TEST(Readme, ExamplesLoad) {
  std::ifstream in(fs::path(RPCFIT_SCENARIOS_DIR) / "README.md");
  ASSERT_TRUE(in) << "README.md";
  std::vector<std::string> blocks;
  std::string line;
  std::string block;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line == "```yaml") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      blocks.push_back(block);
    } else if (inside) {
      block += line + "\n";
    }
  }
  int loaded_count = 0;
  for (const std::string& text : blocks) {
    std::string scenario;
    if (text.rfind("id:", 0) == 0) {
      scenario = text;
    } else if (text.rfind("steps:", 0) == 0) {
      scenario = testing::with_header(text);
    } else {
      continue;
    }
    const Loaded loaded = load_scenario_text(scenario, "README.md");
    EXPECT_THAT(loaded.errors, IsEmpty())
        << scenario << "\n"
        << (loaded.errors.empty() ? "" : to_string(loaded.errors[0]));
    ++loaded_count;
  }
  EXPECT_EQ(loaded_count, 4);
}

}  // namespace
}  // namespace rpcfit::scenarios
