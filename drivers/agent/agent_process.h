// An agent's process (PROTOCOL.md, "Transport"): the command started in its own process group and
// working directory, its stdin and stdout as pipes for the protocol's lines, its stderr kept (the
// last kStderrTail bytes) for the reports. Every read has a deadline and a bound on the line, so
// an agent that hangs, floods or dies is a value, never a hang. stop() ends the whole process
// group: the children an agent started go with it.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "harness/core/result.h"

namespace rpcfit::agent {

class AgentProcess {
 public:
  static constexpr std::size_t kStderrTail = 64 * 1024;

  // Starts argv[0] (a path, or a name looked up on PATH) with argv, in `cwd` (empty: this
  // process's), with this process's environment and `env` ("NAME=value") added.
  static Result<std::unique_ptr<AgentProcess>, std::string> start(
      const std::vector<std::string>& argv, const std::filesystem::path& cwd,
      const std::vector<std::string>& env = {});
  ~AgentProcess();  // stops it, at once
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  // Writes `line` (which ends in a newline) to the agent's stdin; the reason when it cannot (the
  // agent closed its stdin or exited).
  std::optional<std::string> write(std::string_view line);

  enum class End { line, timeout, closed, too_long, error };
  struct Read {
    End end = End::line;
    std::string line;    // End::line: without its newline
    std::string reason;  // otherwise
  };
  // The next line of the agent's stdout, of at most `max_line` bytes, by `deadline`. closed when
  // its stdout ended, or when the agent exited while a child of its holds its stdout open.
  Read read_line(std::chrono::steady_clock::time_point deadline, std::size_t max_line);

  // The last kStderrTail bytes the agent wrote to stderr so far.
  std::string stderr_tail() const;

  // Ends the agent: closes its stdin, gives it `grace` to exit, then kills its process group.
  // How it ended: "exited with status 0", "killed by signal 9", ... Idempotent.
  std::string stop(std::chrono::milliseconds grace);

  // How the agent ended, once it has (reaped within `patience`): "exited with status 1", ...;
  // nullopt while it runs. Not concurrently with stop().
  std::optional<std::string> wait_exit(std::chrono::milliseconds patience);

  pid_t pid() const { return pid_; }

 private:
  AgentProcess() = default;
  void drain_stderr();

  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  int err_ = -1;
  int pidfd_ = -1;        // readable once the agent exited
  std::string buffered_;  // stdout read but not yet returned
  mutable std::mutex err_mu_;
  std::string err_tail_;
  std::atomic<bool> stopping_{false};  // the stderr reader ends once it has read what is there
  std::thread err_reader_;
  std::optional<std::string> ended_;  // stop()'s answer, once given
  std::optional<int> status_;         // its wait status, once reaped
};

}  // namespace rpcfit::agent
