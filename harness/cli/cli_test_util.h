// Test scaffolding for the command line: running the rpcfit executable (or any program) with
// arguments passed as they are, no shell, and a bound on how long it may take; and a long-running
// child (a foreign server) with pipes to its standard input and output.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rpcfit::cli::testing {

inline constexpr const char* kPython = "/usr/bin/python3";

// Why tests that drive python3-impacket cannot run here (no python3, or impacket is not
// importable); nullopt when they can.
std::optional<std::string> impacket_missing();

// The whitespace-separated words of `text`.
std::vector<std::string> words_of(const std::string& text);
// The lines of `text`, without their newlines.
std::vector<std::string> lines_of(const std::string& text);
bool contains(const std::string& text, const std::string& part);
bool starts_with(const std::string& text, const std::string& prefix);

// A fresh private directory under the test's temporary directory, removed with what it holds
// when the object goes.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `text` to `name` below the directory (creating its folders); returns its path.
  std::string write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

// A scenario file's text: on ncacn_ip_tcp (unless `extra` names a protseq), a server that denies
// the call (RPC_S_ACCESS_DENIED at once) and the expectation that the call ends with `status`, so
// it passes for RPC_S_ACCESS_DENIED and fails otherwise. `extra` holds more top-level keys (tags,
// level, xfail, skip, protseq), one per line; `spec` is the rules' flow list.
std::string deny_scenario(const std::string& id, const std::string& extra = "",
                          const std::string& status = "RPC_S_ACCESS_DENIED",
                          const std::string& spec = "[CS-SRV-7]");

struct ProcessResult {
  int status = -1;  // exit status; -1 when killed by a signal or not started
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Runs argv[0] (a path) with `env` ("NAME=value") added to this process's environment, in `cwd`
// (empty: this process's), collects its standard output and error, and kills it after `limit`.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::string>& env = {},
                          std::chrono::seconds limit = std::chrono::seconds(120),
                          const std::string& cwd = "");

// A child process with its standard input and output on pipes (standard error is inherited).
// The destructor closes its input, kills it (SIGKILL) and reaps it, whatever state it is in.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  // The next line of its output without the newline; nullopt at end of output or after `limit`.
  std::optional<std::string> read_line(std::chrono::seconds limit);
  // Stops it cleanly: SIGTERM, then its output is collected (read_line() still returns it) until
  // it closes it, and the child is reaped. After `limit` it is killed (SIGKILL) instead. Returns
  // its exit status; -1 when a signal ended it or it had already been reaped.
  int terminate(std::chrono::seconds limit = std::chrono::seconds(60));

 private:
  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  std::string buffered_;
};

}  // namespace rpcfit::cli::testing
