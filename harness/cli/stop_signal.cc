#include <pthread.h>

#include <csignal>

#include "harness/cli/command.h"

namespace rpcfit::cli {

std::function<void()> stop_on_signal() {
  static sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  return [] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
  };
}

}  // namespace rpcfit::cli
