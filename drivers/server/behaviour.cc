#include "drivers/server/behaviour.h"

#include <algorithm>

#include "drivers/runtime/rpc.h"

namespace rpcfit::server {
namespace {

// A routine's view of its call, for recording.
class Recording {
 public:
  Recording(rpc::ServerCall& call, EventRecorder& recorder) : call_(call), recorder_(recorder) {
    note(EventKind::started);
  }
  void note(EventKind kind, RpcStatus status = status::kOk) {
    recorder_.record({kind, call_.clock().now(), call_.call_id(), call_.opnum(), status});
  }
  [[noreturn]] void raise(RpcStatus status) {
    note(EventKind::finished, status);
    rpc::RpcRaiseException(status);
  }
  Bytes finish(Bytes output) {
    note(EventKind::finished);
    return output;
  }

 private:
  rpc::ServerCall& call_;
  EventRecorder& recorder_;
};

Bytes echo(ByteView input) {
  return Bytes(input.begin(), input.end());
}

Bytes run_cancel_aware(const BehaviourSpec& spec, rpc::ServerCall& call, Recording& rec,
                       ByteView input) {
  std::optional<Duration> until;
  if (spec.run_for) until = call.clock().now() + *spec.run_for;
  for (;;) {
    RpcStatus polled = status::kOk;
    switch (spec.poll_with) {
      case PollWith::test_cancel:
        polled = call.test_cancel();
        break;
      case PollWith::server_test_cancel:
        polled = rpc::RpcServerTestCancel(nullptr);  // this routine's own call
        break;
    }
    rec.note(EventKind::polled, polled);
    if (polled == status::kOk) {
      rec.note(EventKind::saw_cancel);
      if (spec.cleanup > Duration::zero()) call.sleep_for(spec.cleanup);
      switch (spec.on_cancel) {
        case OnCancel::raise:
          rec.raise(status::kCallCancelled);  // CS-SRV-3
        case OnCancel::return_normally:
          return rec.finish(echo(input));
      }
    }
    Duration wait = spec.poll_period;
    if (until) {
      const auto left = *until - call.clock().now();
      if (left <= Duration::zero()) return rec.finish(echo(input));
      wait = std::min(wait, left);
    }
    if (!call.sleep_for(wait)) return rec.finish(echo(input));  // the server stops
  }
}

}  // namespace

void EventRecorder::record(const BehaviourEvent& event) {
  {
    std::lock_guard lock(mu_);
    events_.push_back(event);
    cv_.notify_all();
  }
  if (listener_) listener_(event);
}

void EventRecorder::set_listener(std::function<void(const BehaviourEvent&)> listener) {
  listener_ = std::move(listener);
}

std::vector<BehaviourEvent> EventRecorder::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

std::vector<BehaviourEvent> EventRecorder::events_of(std::uint32_t call_id) const {
  std::lock_guard lock(mu_);
  std::vector<BehaviourEvent> out;
  std::copy_if(events_.begin(), events_.end(), std::back_inserter(out),
               [call_id](const BehaviourEvent& e) { return e.call_id == call_id; });
  return out;
}

int EventRecorder::count(EventKind kind) const {
  std::lock_guard lock(mu_);
  return static_cast<int>(std::count_if(
      events_.begin(), events_.end(), [kind](const BehaviourEvent& e) { return e.kind == kind; }));
}

bool EventRecorder::wait_for(EventKind kind, int n, std::chrono::milliseconds patience) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, patience, [&] {
    return std::count_if(events_.begin(), events_.end(),
                         [kind](const BehaviourEvent& e) { return e.kind == kind; }) >= n;
  });
}

void EventRecorder::on_server_event(const rpc::ServerEvent& event) {
  if (event.kind != rpc::ServerEventKind::result_discarded) return;
  record({EventKind::result_discarded, event.at, event.call_id, event.opnum, status::kOk});
}

rpc::ManagerRoutine make_routine(const BehaviourSpec& spec,
                                 std::shared_ptr<EventRecorder> recorder) {
  return [spec, recorder](rpc::ServerCall& call, ByteView input) -> Bytes {
    Recording rec(call, *recorder);
    switch (spec.kind) {
      case BehaviourKind::normal:
        return rec.finish(answer_to(spec, input));
      case BehaviourKind::slow:
        call.sleep_for(spec.delay);  // cancels go unheeded
        return rec.finish(echo(input));
      case BehaviourKind::hung:
        call.wait_until([] { return false; });  // until the server stops
        return rec.finish(echo(input));
      case BehaviourKind::cancel_aware:
        return run_cancel_aware(spec, call, rec, input);
      case BehaviourKind::deny:
        rec.raise(status::kAccessDenied);  // CS-SRV-7
      case BehaviourKind::crash:
        if (spec.delay > Duration::zero()) call.sleep_for(spec.delay);
        rec.note(EventKind::finished);
        throw rpc::ServerCrash{echo(input), spec.crash_after_bytes};
    }
    return rec.finish(echo(input));
  };
}

}  // namespace rpcfit::server
