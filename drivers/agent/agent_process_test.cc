#include "drivers/agent/agent_process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>

namespace rpcfit::agent {
namespace {

using namespace std::chrono_literals;
using testing::HasSubstr;
using Steady = std::chrono::steady_clock;

// Generous: these wait for a shell to start and answer on a loaded machine.
constexpr auto kPatience = 30s;

std::unique_ptr<AgentProcess> shell(const std::string& script) {
  auto p = AgentProcess::start({"/bin/sh", "-c", script}, std::filesystem::temp_directory_path());
  EXPECT_TRUE(p) << (p ? "" : p.error());
  return p ? std::move(*p) : nullptr;
}

// A pidfd for process `pid` (open it while the process cannot yet have been reaped).
int pidfd_of(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

// Whether the process of `pidfd` exited (is a zombie or gone) within kPatience; closes it.
bool exited(int pidfd) {
  if (pidfd < 0) return false;
  pollfd fd{pidfd, POLLIN, 0};  // readable once the process has exited
  const bool done =
      ::poll(&fd, 1, static_cast<int>(std::chrono::milliseconds(kPatience).count())) == 1;
  ::close(pidfd);
  return done;
}

// The agent's next line, waited for patiently.
AgentProcess::Read next(AgentProcess& p, std::size_t max_line = 1024) {
  return p.read_line(Steady::now() + kPatience, max_line);
}

TEST(AgentProcess, ExchangesLinesAndKeepsStderr) {
  auto p = shell("read l; echo \"got $l\"; echo 'a log line' >&2; read l2 || exit 0");
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->write("hello\n"));
  const auto r = next(*p);
  ASSERT_EQ(r.end, AgentProcess::End::line) << r.reason;
  EXPECT_EQ(r.line, "got hello");
  // Closing its stdin ends the second read, and the agent exits by itself within the grace.
  EXPECT_EQ(p->stop(kPatience), "exited with status 0");
  EXPECT_THAT(p->stderr_tail(), HasSubstr("a log line"));
  EXPECT_EQ(p->stop(0ms), "exited with status 0");  // idempotent
}

TEST(AgentProcess, AnAgentThatNeverAnswersIsATimeoutThenKilled) {
  // Hung for good: not even the end of its stdin (which stop() closes first) ends it.
  auto p = shell("exec sleep 1000");
  ASSERT_TRUE(p);
  const auto r = p->read_line(Steady::now() + 200ms, 1024);
  EXPECT_EQ(r.end, AgentProcess::End::timeout);
  EXPECT_THAT(p->stop(0ms), HasSubstr("killed by signal 9"));
}

TEST(AgentProcess, APartLineBeforeExitIsNotALine) {
  auto p = shell("printf partial");
  ASSERT_TRUE(p);
  EXPECT_EQ(next(*p).reason, "the agent closed its stdout");
}

TEST(AgentProcess, AFloodIsCutAtTheLineBound) {
  auto p = shell("head -c 1000000 /dev/zero | tr '\\0' x; echo");
  ASSERT_TRUE(p);
  EXPECT_EQ(next(*p, 1000).reason, "a line longer than 1000 bytes");
}

TEST(AgentProcess, WritingToAnAgentThatExitedIsAReasonNotASignal) {
  auto p = shell("exit 3");
  ASSERT_TRUE(p);
  // Its stdout may end before its stdin does (an exiting process releases its files in no
  // promised order); once it is a zombie, every one is released.
  ASSERT_TRUE(exited(pidfd_of(p->pid())));
  const auto trouble = p->write("anyone?\n");
  ASSERT_TRUE(trouble);
  EXPECT_EQ(*trouble, "the agent closed its stdin");
  EXPECT_EQ(p->stop(kPatience), "exited with status 3");
}

TEST(AgentProcess, StopEndsTheAgentsChildrenToo) {
  auto p = shell("sleep 1000 & echo $!; exec cat");
  ASSERT_TRUE(p);
  const auto r = next(*p);
  ASSERT_EQ(r.end, AgentProcess::End::line) << r.reason;
  const int child = pidfd_of(static_cast<pid_t>(std::stol(r.line)));
  p->stop(0ms);
  EXPECT_TRUE(exited(child));
}

TEST(AgentProcess, KeepsOnlyTheTailOfStderr) {
  auto p = shell("head -c 200000 /dev/zero | tr '\\0' e >&2; echo end >&2; echo done");
  ASSERT_TRUE(p);
  ASSERT_EQ(next(*p).line, "done");
  p->stop(kPatience);
  const std::string tail = p->stderr_tail();
  EXPECT_EQ(tail.size(), AgentProcess::kStderrTail);
  EXPECT_EQ(tail.substr(tail.size() - 4), "end\n");
}

TEST(AgentProcess, ACommandThatCannotStartSaysSo) {
  auto p = AgentProcess::start({"/nonexistent/agent"}, {});
  ASSERT_FALSE(p);
  EXPECT_THAT(p.error(), HasSubstr("cannot start /nonexistent/agent"));
  EXPECT_EQ(AgentProcess::start({}, {}).error(), "no agent command given");
}

}  // namespace
}  // namespace rpcfit::agent
