#include "reports/report_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "reports/sample_report.h"

namespace rpcfit::reports {
namespace {

using Json = nlohmann::ordered_json;

std::string with(const std::function<void(Json&)>& edit) {
  Json j = Json::parse(to_json_text(testing::sample_report()));
  edit(j);
  return j.dump();
}

std::string error_of(const std::string& text) {
  auto r = parse_report(text, "r.json");
  return r ? std::string("(parsed)") : r.error();
}

TEST(ReportJson, RoundTripsEveryField) {
  const RunReport report = testing::sample_report();
  const std::string text = to_json_text(report);
  auto back = parse_report(text, "r.json");
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(to_json_text(*back), text);
  ASSERT_EQ(back->scenarios.size(), report.scenarios.size());
  const ScenarioResult& fail = back->scenarios[1];
  EXPECT_EQ(fail.fault_seed, 16525389670970726842ULL);
  EXPECT_EQ(fail.injected.at("drop"), 1u);
  ASSERT_TRUE(fail.capture);
  EXPECT_EQ(fail.capture->diff.size(), 3u);
  EXPECT_FALSE(fail.live_capture);
  EXPECT_EQ(back->scenarios[0].steps.at(0).returned, "RPC_S_OK");
  EXPECT_FALSE(back->scenarios[0].steps.at(0).handle_ok);
  EXPECT_EQ(back->totals().failing(), 3u);
  ASSERT_EQ(back->scenarios[0].retried.size(), 1u);
  EXPECT_EQ(back->scenarios[0].retried[0].verdict, "FAIL");
  EXPECT_EQ(back->scenarios[0].retried[0].stall_ms, 152.25);
  EXPECT_EQ(back->scenarios[0].stall_ms, 3.5);
}

TEST(ReportJson, ReadsReportsWrittenBeforeStallsWereWatched) {
  auto old = parse_report(with([](Json& j) {
                            j["settings"].erase("stall_retries");
                            for (auto& s : j["scenarios"]) {
                              s.erase("stall_ms");
                              s.erase("retried");
                            }
                          }),
                          "r.json");
  ASSERT_TRUE(old) << old.error();
  EXPECT_TRUE(old->scenarios[0].retried.empty());
  EXPECT_EQ(old->scenarios[0].stall_ms, 0);
  EXPECT_EQ(old->settings.stall_retries, 0u);
}

TEST(ReportJson, HeaderSeedsAndTotals) {
  const Json j = Json::parse(to_json_text(testing::sample_report()));
  EXPECT_EQ(j["schema"], "rpcfit-report");
  EXPECT_EQ(j["version"], 1);
  // Seeds are strings: JSON readers that hold numbers as doubles would round them.
  EXPECT_EQ(j["seed"], "3913299748625767897");
  EXPECT_EQ(j["scenarios"][1]["faults"]["seed"], "16525389670970726842");
  EXPECT_EQ(j["totals"], Json({{"runs", 6},
                               {"passed", 1},
                               {"failed", 1},
                               {"errors", 1},
                               {"skipped", 1},
                               {"xfail", 1},
                               {"xpass", 1}}));
  EXPECT_EQ(j["scenarios"][0]["wire"][3]["dir"], "out");
  EXPECT_EQ(j["scenarios"][0]["wire"][1]["dir"], "in");
}

TEST(ReportJson, RefusesWhatIsNotAReportOfThisSchema) {
  EXPECT_EQ(error_of("{"), "r.json: not JSON (or not all of it)");
  EXPECT_EQ(error_of("[]"), "r.json: (document): expected an object, got array");
  EXPECT_EQ(error_of(with([](Json& j) { j["schema"] = "junit"; })),
            "r.json: schema: \"junit\" is not an rpcfit report (\"rpcfit-report\")");
  EXPECT_EQ(error_of(with([](Json& j) { j["version"] = 2; })),
            "r.json: version: version 2 is not one this rpcfit reads (1 to 1)");
}

TEST(ReportJson, NamesThePathOfABadField) {
  EXPECT_EQ(error_of(with([](Json& j) { j.erase("settings"); })),
            "r.json: settings: required field missing");
  EXPECT_EQ(error_of(with([](Json& j) { j["scenarios"][3]["verdict"] = 3; })),
            "r.json: scenarios[3].verdict: expected a string, got number");
  EXPECT_EQ(error_of(with([](Json& j) { j["scenarios"][2]["verdict"] = "MAYBE"; })),
            "r.json: scenarios[2].verdict: unknown verdict \"MAYBE\" (PASS, FAIL, ERROR, SKIP, "
            "XFAIL, XPASS)");
  EXPECT_EQ(error_of(with([](Json& j) { j["scenarios"][1]["faults"]["seed"] = "12x"; })),
            "r.json: scenarios[1].faults.seed: expected a seed (decimal digits), got \"12x\"");
  EXPECT_EQ(error_of(with([](Json& j) { j["scenarios"][0]["calls"][0]["status_value"] = -1; })),
            "r.json: scenarios[0].calls[0].status_value: expected a whole number >= 0, got -1");
  EXPECT_EQ(error_of(with([](Json& j) { j["scenarios"][0]["wire"][0]["dir"] = "up"; })),
            "r.json: scenarios[0].wire[0].dir: expected \"out\" or \"in\", got \"up\"");
  EXPECT_EQ(error_of(with([](Json& j) { j["scenarios"][1]["capture"]["diff"] = "x"; })),
            "r.json: scenarios[1].capture.diff: expected a list, got string");
}

TEST(ReportJson, UnreadableFiles) {
  auto missing = read_report_file("/nonexistent/report.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().rfind("/nonexistent/report.json: cannot read: ", 0), 0u)
      << missing.error();
}

}  // namespace
}  // namespace rpcfit::reports
