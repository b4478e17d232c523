// The floor-plan check on includes made up for the purpose: each kind of arrow the plan forbids is
// named with the rule it breaks, and the arrows it allows pass.
#include "harness/layers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace rpcfit::layers {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> reasons(const std::string& file, const std::string& target) {
  std::vector<std::string> out;
  for (const Violation& v : check({Include{file, 3, target}}))
    out.push_back(to_string(v));
  return out;
}

bool allowed(const std::string& file, const std::string& target) {
  return reasons(file, target).empty();
}

TEST(Layers, UnitsAreFloorsPartsAndModules) {
  EXPECT_EQ(unit_of("harness/run/runner.cc"), "harness/run");
  EXPECT_EQ(unit_of("harness/layers.cc"), "harness");
  EXPECT_EQ(unit_of("drivers/fault/proxy/tcp_pump.cc"), "drivers/fault");
  EXPECT_EQ(unit_of("captures/pcap_store.h"), "captures");
  EXPECT_EQ(unit_of("scenarios/fuzz/x.cc"), "scenarios");
  EXPECT_EQ(unit_of("tools/gen.cc"), "");
}

TEST(Layers, AFloorIncludesOnlyTheFloorsBelowIt) {
  EXPECT_TRUE(allowed("harness/wire/pdu.cc", "harness/core/bytes.h"));
  EXPECT_TRUE(allowed("harness/seams/runtime_driver.h", "harness/model/scenario.h"));
  EXPECT_TRUE(allowed("harness/run/runner.h", "harness/check/timing.h"));
  const auto up = reasons("harness/core/bytes.cc", "harness/wire/pdu.h");
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0],
            "harness/core/bytes.cc:3: #include \"harness/wire/pdu.h\": harness/core may include "
            "only the floors below it: nothing of the tree");
  EXPECT_THAT(reasons("harness/model/scenario.h", "harness/seams/capture_sink.h"),
              ::testing::ElementsAre(HasSubstr("harness/core, harness/wire, harness/fault")));
  EXPECT_FALSE(allowed("harness/check/checks.cc", "harness/run/runner.h"));
  EXPECT_FALSE(allowed("harness/run/runner.cc", "harness/cli/run_command.h"));
  EXPECT_FALSE(allowed("harness/run/runner.cc", "drivers/inproc/inproc_driver.h"));
  EXPECT_FALSE(allowed("harness/model/scenario.h", "captures/normalize.h"));
}

TEST(Layers, OnlyTheRoofIncludesEverything) {
  EXPECT_TRUE(allowed("harness/cli/run_command.cc", "drivers/inproc/inproc_driver.h"));
  EXPECT_TRUE(allowed("harness/cli/run_command.cc", "reports/report.h"));
  EXPECT_TRUE(allowed("harness/cli/run_command.cc", "harness/run/runner.h"));
}

TEST(Layers, ModulesIncludeThemselvesAndTheLowerFloors) {
  EXPECT_TRUE(allowed("captures/pcap_store.h", "harness/seams/capture_store.h"));
  EXPECT_TRUE(allowed("scenarios/load_expect.cc", "harness/check/wire_fields.h"));
  EXPECT_TRUE(allowed("reports/report.h", "reports/report_json.h"));
  EXPECT_THAT(reasons("reports/from_run.h", "harness/run/runner.h"),
              ::testing::ElementsAre(HasSubstr("harness/ up to harness/check")));
  EXPECT_FALSE(allowed("captures/x.cc", "reports/report.h"));
  EXPECT_FALSE(allowed("scenarios/x.cc", "harness/cli/suite_files.h"));
  EXPECT_FALSE(allowed("reports/x.cc", "drivers/runtime/rpc.h"));
}

TEST(Layers, InsideDriversTheArrowsGoOneWay) {
  EXPECT_TRUE(allowed("drivers/runtime/client.cc", "drivers/transport/transport.h"));
  EXPECT_TRUE(allowed("drivers/inproc/inproc_session.h", "drivers/server/behaviour.h"));
  EXPECT_TRUE(allowed("drivers/fault/proxy/tcp_pump.cc", "drivers/transport/fd_util.h"));
  EXPECT_TRUE(allowed("drivers/fault/proxy/proxy.h", "drivers/fault/fault_plan.h"));
  EXPECT_THAT(reasons("drivers/transport/listeners.cc", "drivers/runtime/rpc.h"),
              ::testing::ElementsAre(HasSubstr("the parts of drivers/ below it: nothing")));
  EXPECT_FALSE(allowed("drivers/runtime/client.cc", "drivers/server/behaviour.h"));
  EXPECT_FALSE(allowed("drivers/server/behaviour.cc", "drivers/inproc/server_book.h"));
}

TEST(Layers, OnlyCapturesIncludesLibpcap) {
  EXPECT_TRUE(allowed("captures/live_capture.cc", "<pcap/pcap.h>"));
  EXPECT_THAT(reasons("drivers/transport/x.cc", "<pcap.h>"),
              ::testing::ElementsAre(HasSubstr("only captures/ includes libpcap")));
  EXPECT_TRUE(allowed("drivers/transport/x.cc", "<sys/socket.h>"));
}

TEST(Layers, AFolderOutsideThePlanIsNamed) {
  EXPECT_THAT(reasons("harness/newfloor/x.cc", "harness/core/bytes.h"),
              ::testing::ElementsAre(HasSubstr("in no layer of the plan")));
  EXPECT_THAT(reasons("drivers/samba/x.cc", "drivers/runtime/rpc.h"),
              ::testing::ElementsAre(HasSubstr("in no part of drivers/")));
  // Includes of what is not the project's are not its business.
  EXPECT_TRUE(allowed("harness/core/bytes.cc", "yaml-cpp/yaml.h"));
}

TEST(Layers, ScanReadsEveryIncludeWithItsLine) {
  const auto root =
      std::filesystem::temp_directory_path() /
      ("rpcfit-layers-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  std::filesystem::create_directories(root / "harness/core");
  std::filesystem::create_directories(root / "tools");
  std::ofstream(root / "harness/core/a.h") << "// a\n#pragma once\n#include <vector>\n"
                                              "  #  include \"harness/wire/b.h\"\n";
  std::ofstream(root / "tools/skip.cc") << "#include \"harness/run/runner.h\"\n";
  const auto found = scan(root.string());
  std::filesystem::remove_all(root);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].file, "harness/core/a.h");
  EXPECT_EQ(found[0].line, 3u);
  EXPECT_EQ(found[0].target, "<vector>");
  EXPECT_EQ(found[1].target, "harness/wire/b.h");
  EXPECT_EQ(check(found).size(), 1u);
}

}  // namespace
}  // namespace rpcfit::layers
