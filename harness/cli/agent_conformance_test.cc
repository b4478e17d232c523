// The suite through `rpcfit agent` (rpcfit's own runtime behind the agent protocol, out of
// process, as the client under test) gives the verdicts of the in-process driver, scenario by
// scenario: the agent path (protocol, driver, proxy, foreign-side golden comparison) adds no
// verdict of its own. Both runs play at time scale 1, as every run with an agent does.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "harness/cli/cli_test_util.h"
#include "reports/report_json.h"

namespace rpcfit::cli::testing {
namespace {

const std::string kRpcfit = RPCFIT_EXECUTABLE;
const std::string kScenarios = std::string(RPCFIT_SOURCE_DIR) + "/scenarios";

// The run's verdict of every scenario, by id; the failure says why the run gave none.
std::map<std::string, std::string> verdicts_of(const std::vector<std::string>& extra,
                                               const std::filesystem::path& out,
                                               std::string& trouble) {
  std::vector<std::string> argv{kRpcfit,
                                "run",
                                kScenarios,
                                "-j",
                                "2",
                                "--out",
                                out.string(),
                                "--root",
                                RPCFIT_SOURCE_DIR,
                                "--tolerance-scale",
                                RPCFIT_CONFORMANCE_TOLERANCE_SCALE};
  argv.insert(argv.end(), extra.begin(), extra.end());
  const ProcessResult r = run_process(argv, {}, std::chrono::seconds(1200));
  std::map<std::string, std::string> verdicts;
  auto report = reports::read_report_file((out / "report.json").string());
  if (!report) {
    trouble = report.error() + "\n" + r.out + r.err;
    return verdicts;
  }
  for (const auto& s : report->scenarios)
    verdicts[s.id] = s.verdict + (s.reason.empty() ? "" : " (" + s.reason + ")");
  return verdicts;
}

TEST(AgentConformance, TheSuiteThroughRpcfitAgentGivesTheInProcessVerdicts) {
  ScratchDir dir("rpcfit-agent-conformance");
  std::string trouble;
  const auto inproc = verdicts_of({}, dir.path() / "inproc", trouble);
  ASSERT_TRUE(trouble.empty()) << trouble;
  const auto agent =
      verdicts_of({"--client-agent", kRpcfit + " agent"}, dir.path() / "agent", trouble);
  ASSERT_TRUE(trouble.empty()) << trouble;
  ASSERT_GT(inproc.size(), 150u);
  std::string differences;
  for (const auto& [id, verdict] : inproc) {
    const auto it = agent.find(id);
    const std::string through_agent = it == agent.end() ? "not run" : it->second;
    // The verdict word must be the same; a reason may name the agent.
    if (through_agent.substr(0, through_agent.find(' ')) != verdict.substr(0, verdict.find(' '))) {
      differences += id + ": in process " + verdict + ", through the agent " + through_agent + "\n";
    }
  }
  EXPECT_EQ(differences, "");
  EXPECT_EQ(agent.size(), inproc.size());
}

}  // namespace
}  // namespace rpcfit::cli::testing
