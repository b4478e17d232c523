// A client thread of a scenario: a real thread registered with the driver's client runtime, which
// runs the steps the timeline gives it (calls, RpcMgmtSetCancelTimeout) one after another. The
// timeline's own API calls (RpcCancelThreadEx, OpenThread, ...) run on one more such thread, not
// registered, so that the watchdog can see one that never returns.
//
// Its state is shared with the OS thread, so a thread that never comes back from the driver (a
// call nothing could end) can be detached and outlive the runner's view of it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "harness/seams/runtime_driver.h"

namespace rpcfit::run {

class ClientThread {
 public:
  enum class Registration : std::uint8_t { client, none };
  ClientThread(std::string name, DriverSession& session,
               Registration registration = Registration::client);
  ~ClientThread();  // finish() unless done
  ClientThread(const ClientThread&) = delete;
  ClientThread& operator=(const ClientThread&) = delete;

  const std::string& name() const { return name_; }
  // Waits (real time) until the thread has registered; false after `patience`.
  bool wait_registered(std::chrono::nanoseconds patience);
  std::uint32_t id() const;

  // Queues `task`, described as `what` for the watchdog ("call c1 (opnum 1)").
  void post(std::string what, std::function<void()> task);
  // Whether a task is running or queued.
  bool busy() const;
  // "in call c1 (opnum 1)", "idle", "2 steps queued behind call c1 (opnum 1)".
  std::string state() const;

  // No more tasks: the thread exits once its queue is done. Waits up to `patience` (real time)
  // and joins; a thread that has not exited by then is detached. Returns whether it exited.
  bool finish(std::chrono::nanoseconds patience);

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::pair<std::string, std::function<void()>>> queue;
    std::string running;  // what the current task is, empty when idle
    bool registered = false;
    std::uint32_t id = 0;
    bool stop = false;
    bool exited = false;
  };
  static void loop(const std::shared_ptr<State>& state, DriverSession& session,
                   Registration registration);

  std::string name_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
  std::thread thread_;
  bool finished_ = false;
};

}  // namespace rpcfit::run
