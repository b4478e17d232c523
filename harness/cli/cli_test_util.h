// Test scaffolding for the command line: running the rpcfit executable (or any program) with
// arguments passed as they are, no shell, and a bound on how long it may take; and a long-running
// child (a foreign server) with pipes to its standard input and output.
#pragma once

#include <sys/types.h>

#include <chrono>
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

struct ProcessResult {
  int status = -1;  // exit status; -1 when killed by a signal or not started
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Runs argv[0] (a path) with `env` ("NAME=value") added to this process's environment, collects
// its standard output and error, and kills it after `limit`.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::string>& env = {},
                          std::chrono::seconds limit = std::chrono::seconds(120));

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
