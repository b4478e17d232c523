// The agent driver through the runner, with the agents of drivers/agent/agents/: a Python agent
// with its own runtime plays a scenario; each way an agent can misbehave is an ERROR naming the
// agent and what happened, with its stderr, its process group killed, and the next scenario runs;
// an agent that never answers a call is the runtime under test holding its thread (the watchdog's
// FAIL); a scenario needing what the agent lacks is a SKIP; the time scale is 1.
#include "drivers/agent/agent_driver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>

#include "drivers/agent/protocol_check.h"
#include "harness/run/runner.h"
#include "scenarios/loader.h"

namespace rpcfit::agent {
namespace {

using ::testing::HasSubstr;

const std::string kAgents = std::string(RPCFIT_SOURCE_DIR) + "/drivers/agent/agents/";

std::string python_agent(const std::string& file, const std::string& args = "") {
  return "/usr/bin/python3 " + kAgents + file + (args.empty() ? "" : " " + args);
}

// One call on ncacn_ip_tcp that returns its input, and nothing else asked.
constexpr const char* kEcho = R"(id: agent/echo
title: one call returns its input
spec: [CS-OK-1]
protseq: ncacn_ip_tcp
server: {behaviour: normal}
steps:
  - {at: 0ms, call: {id: c1, opnum: 0, in_bytes: 8}}
expect:
  call: {returns: true, output_bytes: 8}
)";

// An asynchronous call: needs the capability the Python agent lacks.
constexpr const char* kAsync = R"(id: agent/async
title: an asynchronous call
spec: [CS-AS-1]
protseq: ncacn_ip_tcp
server: {behaviour: normal}
steps:
  - {at: 0ms, call: {id: a1, opnum: 0, async: true}}
expect:
  call: {returns: true}
)";

run::Scenario load(const char* text) {
  auto loaded = scenarios::load_scenario_text(text, "t.yaml");
  EXPECT_TRUE(loaded.scenario.has_value())
      << (loaded.errors.empty() ? "" : scenarios::to_string(loaded.errors[0]));
  return *loaded.scenario;
}

run::RunSettings settings() {
  run::RunSettings s;
  s.seed = 7;
  s.stall_retries = 0;
  s.watchdog_grace = std::chrono::milliseconds(3000);
  return s;
}

AgentDriverOptions options(const std::string& command) {
  AgentDriverOptions o;
  o.client_command = command;
  o.hello_patience = std::chrono::milliseconds(5000);
  return o;
}

run::ScenarioRun run_with(const std::string& command, const char* scenario_text) {
  AgentDriver driver(options(command));
  run::Runner runner(driver, settings());
  const run::Scenario scenario = load(scenario_text);
  return runner.run_one(scenario);
}

TEST(AgentDriver, APythonAgentWithItsOwnRuntimePlaysAScenario) {
  AgentDriver driver(options(python_agent("stdlib_agent.py")));
  run::Runner runner(driver, settings());
  const run::Scenario scenario = load(kEcho);
  const run::ScenarioRun run = runner.run_one(scenario);
  EXPECT_EQ(run.verdict, run::Verdict::pass) << run.reason;
  ASSERT_TRUE(run.alignment_error.has_value());
  EXPECT_LT(*run.alignment_error, std::chrono::milliseconds(100));
  ASSERT_EQ(run.observed.calls.size(), 1u);
  EXPECT_TRUE(run.observed.calls[0].returned);
  // The reports name who played the client, from its hello.
  const auto targets = driver.targets();
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0].role, "client");
  EXPECT_EQ(targets[0].implementation, "python-stdlib-co");
  EXPECT_EQ(targets[0].protocol, 1);
  EXPECT_EQ(targets[1].driver, "inproc");
}

TEST(AgentDriver, WhatTheAgentLacksIsASkipNamingTheCapability) {
  const run::ScenarioRun run = run_with(python_agent("stdlib_agent.py"), kAsync);
  EXPECT_EQ(run.verdict, run::Verdict::skip);
  EXPECT_THAT(run.reason, HasSubstr("capability \"async\""));
}

struct Misbehaviour {
  const char* mode;
  const char* reason;  // what the ERROR's reason says
  const char* log;     // what of its stderr the run keeps, or ""
};

class AgentMisbehaves : public ::testing::TestWithParam<Misbehaviour> {};

TEST_P(AgentMisbehaves, IsAnErrorNamingTheAgentAndWhatHappened) {
  const Misbehaviour& m = GetParam();
  const run::ScenarioRun run = run_with(python_agent("misbehaving_agent.py", m.mode), kEcho);
  EXPECT_EQ(run.verdict, run::Verdict::error) << run.reason;
  EXPECT_THAT(run.reason, HasSubstr("client agent `"));
  EXPECT_THAT(run.reason, HasSubstr(m.reason));
  EXPECT_THAT(run.log, HasSubstr(m.log));
}

INSTANTIATE_TEST_SUITE_P(
    Modes, AgentMisbehaves,
    ::testing::Values(
        Misbehaviour{"no-hello", "no answer to hello", ""},
        Misbehaviour{"crash-at-hello", "exited with status 3", "crash-at-hello: giving up"},
        Misbehaviour{"garbage", "not a protocol message (not JSON): Hello, this is not JSON", ""},
        Misbehaviour{"version-2", "speaks protocol version 2", ""},
        Misbehaviour{"wrong-id", "answered request 99, which it was not asked", ""},
        Misbehaviour{"crash-in-call", "the agent exited with status 9",
                     "crash-in-call: dying in the middle of a call"},
        Misbehaviour{"garbage-in-call", "last received: {not json", ""}),
    [](const auto& param_info) {
      std::string name = param_info.param.mode;
      for (char& c : name)
        c = c == '-' ? '_' : c;
      return name;
    });

// Whether process `pid` has ended within `patience`: its pidfd becomes readable when it exits
// (reaped or not); none can be opened for a process already reaped.
bool gone(pid_t pid, std::chrono::milliseconds patience) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;
  pollfd exited{fd, POLLIN, 0};
  int ready = -1;
  while ((ready = ::poll(&exited, 1, static_cast<int>(patience.count()))) < 0 && errno == EINTR) {
  }
  ::close(fd);
  return ready == 1;
}

TEST(AgentDriver, ACrashedAgentsChildrenGoWithIt) {
  const run::ScenarioRun run =
      run_with(python_agent("misbehaving_agent.py", "crash-in-call"), kEcho);
  ASSERT_EQ(run.verdict, run::Verdict::error);
  const auto at = run.log.find("child pid ");
  ASSERT_NE(at, std::string::npos) << run.log;
  const pid_t child = static_cast<pid_t>(std::stol(run.log.substr(at + 10)));
  EXPECT_TRUE(gone(child, std::chrono::milliseconds(10000)));
}

TEST(AgentDriver, TheRunGoesOnWithTheNextScenarioAfterAnAgentCrashed) {
  char dir[] = "/tmp/rpcfit-agent-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string marker = std::string(dir) + "/crashed";
  AgentDriver driver(options(python_agent("misbehaving_agent.py", "crash-once " + marker)));
  run::Runner runner(driver, settings());
  const run::Scenario scenario = load(kEcho);
  const auto runs = runner.run_all({&scenario, &scenario}, nullptr);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].verdict, run::Verdict::error);
  EXPECT_EQ(runs[1].verdict, run::Verdict::pass) << runs[1].reason;
  ::unlink(marker.c_str());
  ::rmdir(dir);
}

TEST(AgentDriver, AnAgentThatNeverAnswersACallIsTheRuntimeHoldingItsThread) {
  const run::ScenarioRun run =
      run_with(python_agent("misbehaving_agent.py", "hang-in-call"), kEcho);
  EXPECT_EQ(run.verdict, run::Verdict::fail) << run.reason;
  EXPECT_THAT(run.watchdog, HasSubstr("call c1"));
}

TEST(AgentDriver, ARunWithAnAgentPlaysAtTimeScaleOne) {
  AgentDriver driver(options(python_agent("stdlib_agent.py")));
  run::RunSettings s = settings();
  s.time_scale = 0.5;
  run::Runner runner(driver, s);
  const run::Scenario scenario = load(kEcho);
  const run::ScenarioRun run = runner.run_one(scenario);
  EXPECT_EQ(run.verdict, run::Verdict::error);
  EXPECT_THAT(run.reason, HasSubstr("time scale 1"));
}

// The protocol's conformance check (rpcfit check-agent) passes rpcfit's own agent and the
// Python one, and stops a misbehaving one at the step it breaks.
class CheckAgent : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(::mkdtemp(dir_), nullptr); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  char dir_[64] = "/tmp/rpcfit-check-agent-XXXXXX";
};

TEST_F(CheckAgent, RpcfitsOwnAgentSpeaksTheProtocol) {
  const ProtocolCheck check = check_agent(std::string(RPCFIT_EXECUTABLE) + " agent", dir_);
  for (const auto& step : check.steps)
    EXPECT_TRUE(step.ok) << step.name << ": " << step.detail;
  EXPECT_TRUE(check.ok());
  EXPECT_EQ(check.steps.back().name, "exits after shutdown");
}

TEST_F(CheckAgent, ThePythonAgentSpeaksTheProtocol) {
  const ProtocolCheck check = check_agent(python_agent("stdlib_agent.py"), dir_);
  for (const auto& step : check.steps)
    EXPECT_TRUE(step.ok) << step.name << ": " << step.detail;
  EXPECT_TRUE(check.ok());
  EXPECT_EQ(check.steps.size(), 12u);
}

TEST_F(CheckAgent, AMisbehavingAgentFailsAtTheStepItBreaks) {
  const ProtocolCheck check =
      check_agent(python_agent("misbehaving_agent.py", "garbage-in-call"), dir_);
  EXPECT_FALSE(check.ok());
  ASSERT_FALSE(check.steps.empty());
  EXPECT_EQ(check.steps.back().name, "a call");
  EXPECT_THAT(check.steps.back().detail, HasSubstr("not a protocol message"));
}

}  // namespace
}  // namespace rpcfit::agent
