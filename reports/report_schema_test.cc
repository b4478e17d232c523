// report.json against its published JSON Schema (report.schema.json), checked by
// tools/validate_report.py with Debian's python3-jsonschema: what to_json_text writes is valid,
// and the schema is strict enough to refuse what is not a report.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "reports/report_json.h"
#include "reports/sample_report.h"

namespace rpcfit::reports {
namespace {

namespace fs = std::filesystem;

struct Validation {
  int status = -1;
  std::string out;
};

// Validates `document` with python3-jsonschema; FAILS the test (not skips) when it is missing.
Validation validate(const std::string& document) {
  if (::access("/usr/bin/python3", X_OK) != 0 ||
      std::system("/usr/bin/python3 -c 'import jsonschema' 2>/dev/null") != 0) {
    ADD_FAILURE() << "python3-jsonschema is missing: install it (tools/setup.sh does)";
    return {};
  }
  std::string dir = (fs::path(::testing::TempDir()) / "rpcfit-schema-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) return {};
  std::ofstream(dir + "/report.json") << document;
  const std::string command = "/usr/bin/python3 '" RPCFIT_SOURCE_DIR "/tools/validate_report.py' " +
                              dir + "/report.json 2>&1";
  Validation v;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return v;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr)
    v.out += buf;
  const int status = ::pclose(pipe);
  v.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  fs::remove_all(dir);
  return v;
}

TEST(ReportSchema, TheSampleReportIsValid) {
  const Validation v = validate(to_json_text(testing::sample_report()));
  EXPECT_EQ(v.status, 0) << v.out;
}

TEST(ReportSchema, AnEmptyRunIsValid) {
  RunReport empty;
  empty.settings.jobs = 1;
  const Validation v = validate(to_json_text(empty));
  EXPECT_EQ(v.status, 0) << v.out;
}

TEST(ReportSchema, RefusesWhatIsNotAReport) {
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(to_json_text(testing::sample_report()));
  j["scenarios"][0]["verdict"] = "MAYBE";
  j["scenarios"][1].erase("wire");
  j["scenarios"][2]["seed"] = 12;
  j["settings"]["surprise"] = true;
  const Validation v = validate(j.dump());
  EXPECT_EQ(v.status, 1) << v.out;
  EXPECT_NE(v.out.find("report.json: scenarios/0/verdict: 'MAYBE' is not one of"),
            std::string::npos)
      << v.out;
  EXPECT_NE(v.out.find("report.json: scenarios/1: 'wire' is a required property"),
            std::string::npos)
      << v.out;
  EXPECT_NE(v.out.find("report.json: scenarios/2/seed: 12 is not of type 'string'"),
            std::string::npos)
      << v.out;
  EXPECT_NE(v.out.find("report.json: settings: Additional properties are not allowed ('surprise'"),
            std::string::npos)
      << v.out;
}

}  // namespace
}  // namespace rpcfit::reports
