#include "drivers/agent/agent_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace rpcfit::agent {
namespace {

using Steady = std::chrono::steady_clock;

int remaining_ms(Steady::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now());
  if (left.count() <= 0) return 0;
  return left.count() > 60'000 ? 60'000 : static_cast<int>(left.count());
}

std::string describe(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return "killed by signal " + std::to_string(sig) + " (" + ::strsignal(sig) + ")";
  }
  return "ended (wait status " + std::to_string(status) + ")";
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

Result<std::unique_ptr<AgentProcess>, std::string> AgentProcess::start(
    const std::vector<std::string>& argv, const std::filesystem::path& cwd,
    const std::vector<std::string>& env) {
  if (argv.empty() || argv[0].empty()) return unexpected(std::string("no agent command given"));
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return unexpected(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return unexpected(std::string("pipe: ") + std::strerror(errno));
  }
  if (::pipe2(err, O_CLOEXEC) != 0) {
    for (int fd : {in[0], in[1], out[0], out[1]})
      ::close(fd);
    return unexpected(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group (so that stop() ends its children too), with the default SIGPIPE and
  // no signal blocked, whatever this process set.
  sigset_t none, pipe_only;
  sigemptyset(&none);
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &pipe_only);
  posix_spawnattr_setflags(
      &attr,
      static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e)
    envp.push_back(*e);
  for (const auto& e : env)
    envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int failed = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (failed != 0) {
    for (int fd : {in[1], out[0], err[0]})
      ::close(fd);
    return unexpected("cannot start " + argv[0] + ": " + std::strerror(failed));
  }
  std::unique_ptr<AgentProcess> p(new AgentProcess());
  p->pid_ = pid;
  p->in_ = in[1];
  p->out_ = out[0];
  p->err_ = err[0];
  p->pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  p->err_reader_ = std::thread([raw = p.get()] { raw->drain_stderr(); });
  return p;
}

AgentProcess::~AgentProcess() {
  stop(std::chrono::milliseconds(0));
}

void AgentProcess::drain_stderr() {
  // Until stderr ends, or stop() says so: a process that left the group (setsid) may hold it
  // open for ever, and what it wrote by then is read first.
  char buf[4096];
  for (;;) {
    pollfd fd{err_, POLLIN, 0};
    const int ready = ::poll(&fd, 1, stopping_.load() ? 0 : 50);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      if (ready < 0 || stopping_.load()) return;
      continue;
    }
    const ssize_t n = ::read(err_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the agent and its children closed it
    std::lock_guard lock(err_mu_);
    err_tail_.append(buf, static_cast<std::size_t>(n));
    if (err_tail_.size() > kStderrTail) err_tail_.erase(0, err_tail_.size() - kStderrTail);
  }
}

std::string AgentProcess::stderr_tail() const {
  std::lock_guard lock(err_mu_);
  return err_tail_;
}

std::optional<std::string> AgentProcess::write(std::string_view line) {
  if (in_ < 0) return std::string("the agent's stdin is closed");
  // A write to a pipe nobody reads raises SIGPIPE: blocked on this thread, and a pending one
  // taken back, so that it is the EPIPE below and not the end of rpcfit.
  sigset_t pipe_only, old;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  std::optional<std::string> trouble;
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(in_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      trouble = errno == EPIPE ? std::string("the agent closed its stdin")
                               : std::string("writing to the agent: ") + std::strerror(errno);
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (trouble) {
    const timespec zero{0, 0};
    while (::sigtimedwait(&pipe_only, nullptr, &zero) == SIGPIPE) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return trouble;
}

AgentProcess::Read AgentProcess::read_line(Steady::time_point deadline, std::size_t max_line) {
  for (;;) {
    const auto newline = buffered_.find('\n');
    if (newline != std::string::npos && newline <= max_line) {
      Read r{End::line, buffered_.substr(0, newline), {}};
      buffered_.erase(0, newline + 1);
      return r;
    }
    if (buffered_.size() > max_line) {
      return {End::too_long, {}, "a line longer than " + std::to_string(max_line) + " bytes"};
    }
    if (out_ < 0) return {End::closed, {}, "the agent closed its stdout"};
    pollfd fds[2] = {{out_, POLLIN, 0}, {pidfd_, POLLIN, 0}};
    const int ready = ::poll(fds, pidfd_ >= 0 ? 2 : 1, remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return {End::error, {}, std::string("poll: ") + std::strerror(errno)};
    if (ready == 0) {
      if (Steady::now() < deadline) continue;  // poll's wait is capped; the deadline is not yet
      return {End::timeout, {}, "no line by the deadline"};
    }
    if (fds[0].revents == 0) {
      // Exited, and what it wrote has been read; a child of its holds the pipe open.
      return {End::closed, {}, "the agent exited"};
    }
    char buf[4096];  // buffered_ stays under max_line + sizeof buf
    const ssize_t n = ::read(out_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return {End::error, {}, std::string("reading from the agent: ") + std::strerror(errno)};
    if (n == 0) {
      close_fd(out_);
      continue;  // a last line without its newline is not a line: closed
    }
    buffered_.append(buf, static_cast<std::size_t>(n));
  }
}

namespace {

// Waits up to `patience` for `pid` to exit (on a pidfd); whether it became readable.
void wait_for_exit(pid_t pid, std::chrono::milliseconds patience) {
  if (patience.count() <= 0) return;
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return;
  const auto deadline = Steady::now() + patience;
  pollfd fd{pidfd, POLLIN, 0};
  while (::poll(&fd, 1, remaining_ms(deadline)) < 0 && errno == EINTR) {
  }
  ::close(pidfd);
}

}  // namespace

std::optional<std::string> AgentProcess::wait_exit(std::chrono::milliseconds patience) {
  if (status_) return describe(*status_);
  wait_for_exit(pid_, patience);
  int status = 0;
  pid_t r = -1;
  while ((r = ::waitpid(pid_, &status, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (r != pid_) return std::nullopt;
  status_ = status;
  return describe(status);
}

std::string AgentProcess::stop(std::chrono::milliseconds grace) {
  if (ended_) return *ended_;
  close_fd(in_);  // an agent reading stdin sees the end and may exit by itself
  if (!status_) wait_for_exit(pid_, grace);
  ::kill(-pid_, SIGKILL);  // the whole group, the agent's children included
  if (!status_) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    status_ = status;
  }
  close_fd(out_);
  stopping_.store(true);
  if (err_reader_.joinable()) err_reader_.join();
  close_fd(err_);
  close_fd(pidfd_);
  ended_ = describe(*status_);
  return *ended_;
}

}  // namespace rpcfit::agent
