#include "harness/run/client_thread.h"

#include <utility>

namespace rpcfit::run {

ClientThread::ClientThread(std::string name, DriverSession& session, Registration registration)
    : name_(std::move(name)) {
  thread_ =
      std::thread([state = state_, &session, registration] { loop(state, session, registration); });
}

ClientThread::~ClientThread() {
  if (!finished_) finish(std::chrono::seconds(10));
}

void ClientThread::loop(const std::shared_ptr<State>& state, DriverSession& session,
                        Registration registration) {
  const std::uint32_t id = registration == Registration::client ? session.register_thread() : 0;
  std::unique_lock lock(state->mu);
  state->id = id;
  state->registered = true;
  state->cv.notify_all();
  for (;;) {
    state->cv.wait(lock, [&] { return state->stop || !state->queue.empty(); });
    if (state->queue.empty()) break;  // stopping with nothing left
    auto [what, task] = std::move(state->queue.front());
    state->queue.pop_front();
    state->running = what;
    lock.unlock();
    task();
    lock.lock();
    state->running.clear();
    state->cv.notify_all();
  }
  state->exited = true;
  state->cv.notify_all();
}

bool ClientThread::wait_registered(std::chrono::nanoseconds patience) {
  std::unique_lock lock(state_->mu);
  return state_->cv.wait_for(lock, patience, [&] { return state_->registered; });
}

std::uint32_t ClientThread::id() const {
  std::lock_guard lock(state_->mu);
  return state_->id;
}

void ClientThread::post(std::string what, std::function<void()> task) {
  std::lock_guard lock(state_->mu);
  state_->queue.emplace_back(std::move(what), std::move(task));
  state_->cv.notify_all();
}

bool ClientThread::busy() const {
  std::lock_guard lock(state_->mu);
  return !state_->running.empty() || !state_->queue.empty();
}

std::string ClientThread::state() const {
  std::lock_guard lock(state_->mu);
  if (state_->running.empty()) {
    return state_->queue.empty() ? "idle" : std::to_string(state_->queue.size()) + " queued";
  }
  std::string text = "in " + state_->running;
  if (!state_->queue.empty()) {
    text += ", " + std::to_string(state_->queue.size()) + " step(s) queued behind it";
  }
  return text;
}

bool ClientThread::finish(std::chrono::nanoseconds patience) {
  finished_ = true;
  bool exited = false;
  {
    std::unique_lock lock(state_->mu);
    state_->stop = true;
    state_->cv.notify_all();
    exited = state_->cv.wait_for(lock, patience, [&] { return state_->exited; });
  }
  if (exited) {
    thread_.join();
  } else {
    thread_.detach();
  }
  return exited;
}

}  // namespace rpcfit::run
