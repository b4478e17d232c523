#include "harness/run/playback.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <numeric>
#include <set>
#include <stdexcept>
#include <thread>

#include "harness/check/checks.h"
#include "harness/check/timing.h"
#include "harness/check/witness.h"

namespace rpcfit::run {
namespace {

constexpr auto kRegisterPatience = std::chrono::seconds(10);
constexpr auto kSettlePoll = std::chrono::milliseconds(10);

// Whether the expectation can only be checked once the routine has finished.
bool needs_finish(const ServerCallExpect& e) {
  return e.finished.value_or(false) || e.finished_status || e.finished_at || e.result ||
         e.fault_status || !e.polled.empty();
}

bool has_event(const ServerCallRecord& call, server::EventKind kind) {
  return std::any_of(call.events.begin(), call.events.end(),
                     [&](const server::BehaviourEvent& e) { return e.kind == kind; });
}

// Whether the step opens a handle to its `thread` (open_thread, a cancel naming no handle).
bool opens_handle(const Step& step) {
  switch (traits(step.kind).handle) {
    case HandleUse::named_or_opened:
      return step.handle.empty() && !step.null_handle;
    case HandleUse::opened:
      return true;
    case HandleUse::none:
    case HandleUse::named:
      return false;
  }
  return false;
}

std::string step_label(const Scenario& scenario, std::size_t index) {
  const Step& step = scenario.steps[index];
  return "step " + std::to_string(index + 1) + " (" + std::string(step_name(step.kind)) + ", " +
         to_string(step.loc) + ")";
}

}  // namespace

void Playback::World::note_lag(std::chrono::steady_clock::time_point due) {
  const auto now = lag_now ? lag_now() : std::chrono::steady_clock::now();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - due).count();
  std::int64_t seen = lag.load();
  while (ns > seen && !lag.compare_exchange_weak(seen, ns)) {
  }
}

Playback::Playback(RuntimeDriver& driver, const RunSettings& settings, CaptureStore* store,
                   const StallMonitor* monitor, const Scenario& scenario, unsigned repetition,
                   std::uint64_t seed, std::filesystem::path dir)
    : driver_(driver),
      settings_(settings),
      scenario_(scenario),
      monitor_(monitor),
      seed_(seed),
      dir_(std::move(dir)),
      world_(std::make_unique<World>(settings.time_scale)) {
  world_->lag_now = settings.monitor_now;
  if (store) world_->capture = store->open(scenario, repetition);
  captured_ = world_->capture != nullptr;
}

Playback::~Playback() {
  if (!world_) return;
  if (!threads_ended_) {
    // play() did not get to the end (it threw): end what runs as it would have.
    if (world_->session) world_->session->shutdown(std::chrono::seconds(1));
    end_threads();
  }
  if (left_behind_) {
    abandon();  // the directory stays too: its threads may still use it
    return;
  }
  world_->timeline.reset();
  world_->threads.clear();
  world_->session.reset();  // before the capture it tees to
  world_->capture.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string Playback::end_threads() {
  threads_ended_ = true;
  std::string report;
  auto end = [&](ClientThread& t, const std::string& what) {
    const std::string state = t.state();
    if (t.finish(settings_.watchdog_grace)) return;
    left_behind_ = true;
    report += (report.empty() ? "" : "; ") + (what + " did not end (" + state + ")");
  };
  for (const auto& t : world_->threads)
    end(*t, "client thread " + t->name());
  if (world_->timeline) end(*world_->timeline, "the timeline's thread");
  return report;
}

void Playback::abandon() {
  // Kept reachable (and never destroyed, not even at exit) so that threads still inside the
  // driver find their world intact and leak checkers see no leak.
  static std::mutex mu;
  static auto* abandoned = new std::vector<std::unique_ptr<World>>;
  std::lock_guard lock(mu);
  abandoned->push_back(std::move(world_));
}

ClientThread* Playback::thread(const std::string& name) const {
  for (const auto& t : world_->threads) {
    if (t->name() == name) return t.get();
  }
  throw std::logic_error("no client thread " + name);
}

std::size_t Playback::call_index(const std::string& id) const {
  std::size_t index = 0;
  for (const Step& step : scenario_.steps) {
    if (step.kind != StepKind::call) continue;
    if (step.call == id) return index;
    ++index;
  }
  throw std::logic_error("no call " + id);
}

bool Playback::start_threads(std::string& trouble) {
  std::set<std::string> names{"main"};
  for (const Step& step : scenario_.steps) {
    if (step.handle.empty() && !step.null_handle) names.insert(step.thread);
  }
  for (const auto& name : names) {
    world_->threads.push_back(std::make_unique<ClientThread>(name, *world_->session));
  }
  world_->timeline = std::make_unique<ClientThread>("(timeline)", *world_->session,
                                                    ClientThread::Registration::none);
  for (const auto& t : world_->threads) {
    if (!t->wait_registered(kRegisterPatience)) {
      trouble = "client thread " + t->name() + " did not register with the client runtime";
      return false;
    }
  }
  if (!scenario_.client.cancel_timeout) return true;
  // client.cancel_timeout: RpcMgmtSetCancelTimeout on every thread before the timeline starts.
  auto pending = std::make_shared<std::atomic<std::size_t>>(world_->threads.size());
  auto failed = std::make_shared<std::atomic<RpcStatus>>(status::kOk);
  for (const auto& t : world_->threads) {
    World* w = world_.get();
    const long timeout = *scenario_.client.cancel_timeout;
    t->post("RpcMgmtSetCancelTimeout(" + std::to_string(timeout) + ")",
            [w, timeout, pending, failed] {
              const RpcStatus s = w->session->set_cancel_timeout(timeout);
              if (s != status::kOk) failed->store(s);
              pending->fetch_sub(1);
              w->journal->update([](auto&, auto&) {});
            });
  }
  const bool done =
      world_->journal->wait_until([&](const auto&, const auto&) { return pending->load() == 0; },
                                  std::chrono::steady_clock::now() + kRegisterPatience);
  if (!done) {
    trouble = "client.cancel_timeout: RpcMgmtSetCancelTimeout did not return on every thread";
    return false;
  }
  if (failed->load() != status::kOk) {
    trouble = "client.cancel_timeout (" + to_string(scenario_.client.loc) +
              "): RpcMgmtSetCancelTimeout returned " + std::to_string(failed->load());
    return false;
  }
  return true;
}

void Playback::post_call(std::size_t index) {
  const Step& step = scenario_.steps[index];
  const std::size_t call = call_index(step.call);
  World* w = world_.get();
  auto finish = [journal = w->journal, clock = &w->clock, call](const CallOutcome& outcome) {
    // The runtime's own stamp (an agent's), if it gave one, never later than now.
    const Duration now = clock->now();
    const Duration ended = outcome.ended_at ? std::min(*outcome.ended_at, now) : now;
    journal->update([&](auto&, std::vector<CallRecord>& calls) {
      CallRecord& r = calls[call];
      r.ended = true;
      r.ended_at = ended;
      r.returned = outcome.returned;
      r.status = outcome.status;
      r.output = outcome.output;
      r.detail = outcome.detail;
    });
  };
  const std::string what = "call " + step.call + " (opnum " + std::to_string(step.opnum) + ")";
  thread(step.thread)
      ->post(what, [w, index, call, opnum = step.opnum, input = step.input, async = step.async,
                    finish] {
        const Duration began = w->clock.now();
        w->journal->update([&](std::vector<StepRecord>& steps, std::vector<CallRecord>& calls) {
          steps[index].ran = true;
          steps[index].began = began;
          calls[call].started = true;
          calls[call].started_at = began;
        });
        if (!async) {
          finish(w->session->call(opnum, input));
          return;
        }
        const RpcStatus begun =
            w->session->begin_async(static_cast<int>(call), opnum, input, finish);
        if (begun != status::kOk) {
          finish(
              CallOutcome{false, begun, {}, "the asynchronous call could not begin", std::nullopt});
        }
      });
}

void Playback::perform(World& w, const Step& step, const ApiTarget& target, StepRecord& record) {
  DriverSession& session = *w.session;
  // The handle the step names, or one it opens for a thread (closed after it).
  auto handle_of = [&](bool& opened) -> std::uint64_t {
    opened = false;
    if (step.null_handle) return 0;
    if (!step.handle.empty()) {
      const auto it = w.handles.find(step.handle);
      return it == w.handles.end() ? 0 : it->second;
    }
    opened = true;
    return session.open_thread(step.access.value_or(target.access), target.thread);
  };
  bool opened = false;
  switch (step.kind) {
    case StepKind::cancel:
    case StepKind::cancel_thread: {
      const std::uint64_t handle = handle_of(opened);
      record.returned = step.kind == StepKind::cancel
                            ? session.cancel_thread_ex(handle, step.timeout)
                            : session.cancel_thread(handle);
      if (opened) session.close_handle(handle);
      return;
    }
    case StepKind::async_cancel:
      record.returned = session.cancel_async(target.async_call, step.abortive);
      return;
    case StepKind::open_thread: {
      const std::uint64_t handle =
          session.open_thread(step.access.value_or(target.access), target.thread);
      w.handles[step.handle] = handle;
      record.handle_ok = handle != 0;
      return;
    }
    case StepKind::close_handle:
      record.handle_ok = session.close_handle(handle_of(opened));
      return;
    case StepKind::call:
    case StepKind::set_cancel_timeout:
    case StepKind::wait:
      return;  // not API steps of the timeline's (run_step runs them)
  }
}

bool Playback::run_api_step(std::size_t index) {
  const Step& step = scenario_.steps[index];
  World* w = world_.get();
  ApiTarget target;
  target.access = scenario_.client.access;
  if (opens_handle(step)) target.thread = thread(step.thread)->id();
  if (step.kind == StepKind::async_cancel)
    target.async_call = static_cast<int>(call_index(step.call));
  const auto posted = std::chrono::steady_clock::now();
  w->timeline->post(
      std::string(traits(step.kind).api) + " of " + step_label(scenario_, index),
      [w, index, step, target, posted] {
        w->note_lag(posted);
        StepRecord record;
        record.step = index;
        record.began = w->clock.now();
        // Seen as begun, and pending until the API returns: one that never does is its FAIL.
        w->journal->update([&](std::vector<StepRecord>& steps, auto&) {
          steps[index] = record;
          steps[index].ran = true;
          steps[index].pending = true;
        });
        perform(*w, step, target, record);
        record.ended = w->clock.now();
        record.ran = true;
        w->journal->update([&](std::vector<StepRecord>& steps, auto&) { steps[index] = record; });
      });
  // These APIs return promptly (CS-RET-1); one that does not is what the watchdog is for.
  if (w->journal->wait_until(
          [index](const auto& steps, const auto&) {
            return steps[index].ran && !steps[index].pending;
          },
          watchdog_)) {
    return true;
  }
  stuck_ = step_label(scenario_, index) + ": " + std::string(traits(step.kind).api) +
           " did not return; the timeline's thread is " + w->timeline->state() + "; " +
           waiting_for(w->journal->calls());
  return false;
}

bool Playback::run_step(std::size_t index) {
  const Step& step = scenario_.steps[index];
  World* w = world_.get();
  const auto when = w->clock.to_steady(t0_ + step.at);
  if (when > watchdog_) {
    trouble_ = step_label(scenario_, index) + " is due after the scenario's timeout";
    return false;
  }
  std::this_thread::sleep_until(when);  // the timeline's schedule, not a synchronisation
  w->note_lag(when);
  switch (traits(step.kind).runs_on) {
    case StepRunsOn::client_thread:
      if (step.kind == StepKind::call) {
        post_call(index);
      } else {
        post_set_cancel_timeout(index);
      }
      return true;
    case StepRunsOn::timeline:
      return run_api_step(index);
    case StepRunsOn::runner:
      return run_wait(index);
  }
  return true;
}

void Playback::post_set_cancel_timeout(std::size_t index) {
  const Step& step = scenario_.steps[index];
  World* w = world_.get();
  thread(step.thread)
      ->post("RpcMgmtSetCancelTimeout(" + std::to_string(step.timeout) + ")",
             [w, index, timeout = step.timeout] {
               const Duration at = w->clock.now();
               const RpcStatus s = w->session->set_cancel_timeout(timeout);
               const Duration ended = w->clock.now();
               w->journal->update([&](std::vector<StepRecord>& steps, auto&) {
                 steps[index].ran = true;
                 steps[index].began = at;
                 steps[index].ended = ended;
                 steps[index].returned = s;
               });
             });
}

bool Playback::run_wait(std::size_t index) {
  const Step& step = scenario_.steps[index];
  World* w = world_.get();
  const Duration began = w->clock.now();
  w->journal->update([&](std::vector<StepRecord>& steps, auto&) {
    steps[index].ran = true;
    steps[index].began = began;
  });
  const std::size_t call = call_index(step.call);
  if (w->journal->wait_until([call](const auto&, const auto& calls) { return calls[call].ended; },
                             watchdog_)) {
    return true;
  }
  stuck_ = step_label(scenario_, index) + " waited for call " + step.call + " to end; " +
           waiting_for(w->journal->calls());
  return false;
}

std::optional<std::string> Playback::late_steps(const Observation& observed,
                                                const TimingSettings& timing,
                                                std::vector<Mismatch>& out) const {
  const Duration allowed = tolerance_for(scenario_.tolerance, Duration{}, timing);
  // The timeline's own API calls, in the order its thread ran them: each runs at its instant,
  // unless the one before it had not returned yet. (A call or set_cancel_timeout may wait for its
  // thread by design, and a wait waits.)
  std::vector<const StepRecord*> timeline;
  for (const StepRecord& record : observed.steps) {
    if (!record.ran || record.step >= scenario_.steps.size()) continue;
    if (traits(scenario_.steps[record.step].kind).runs_on == StepRunsOn::timeline) {
      timeline.push_back(&record);
    }
  }
  std::stable_sort(timeline.begin(), timeline.end(),
                   [](const StepRecord* a, const StepRecord* b) { return a->began < b->began; });
  std::set<std::size_t> blamed;
  for (std::size_t i = 0; i < timeline.size(); ++i) {
    const StepRecord& record = *timeline[i];
    const Step& step = scenario_.steps[record.step];
    const Duration late = record.began - step.at;
    if (late <= allowed) continue;
    const StepRecord* before = i > 0 ? timeline[i - 1] : nullptr;
    if (before != nullptr && (before->pending || before->ended > step.at + allowed)) {
      // The runtime under test held the timeline: the API before it returned late (CS-RET-1).
      // One that never returned is check()'s to name.
      if (before->pending || !blamed.insert(before->step).second) continue;
      const Step& held = scenario_.steps[before->step];
      out.push_back(
          {"step " + std::to_string(before->step + 1) + " (" + std::string(step_name(held.kind)) +
               ") returned",
           "a prompt return, before " + step_label(scenario_, record.step) + " was due at " +
               format_instant(step.at),
           "returned at " + format_instant(before->ended) + " (called at " +
               format_instant(before->began) + ")",
           held.loc,
           {},
           broken_rules(
               scenario_,
               {ClaimKind::step_returned, std::string(step_name(held.kind)), {}, held.expect})});
      continue;
    }
    return step_label(scenario_, record.step) + " ran " + format_instant(late) +
           " after its instant (tolerance " + format_instant(allowed) +
           "): the machine is too busy for this time scale, and the timing checks would blame "
           "the runtime for it (--time-scale, --tolerance-scale)";
  }
  return std::nullopt;
}

bool Playback::settled(const std::vector<StepRecord>& steps,
                       const std::vector<CallRecord>& calls) const {
  if (!std::all_of(calls.begin(), calls.end(), [](const CallRecord& c) { return c.ended; })) {
    return false;
  }
  // Steps queued on a client thread behind a call (set_cancel_timeout) run once it ends.
  if (!std::all_of(steps.begin(), steps.end(), [](const StepRecord& s) { return s.ran; })) {
    return false;
  }
  if (!scenario_.expect.server) return true;
  const ServerExpect& server = *scenario_.expect.server;
  const auto seen = world_->session->server_calls();
  if (server.calls && seen.size() < *server.calls) return false;
  for (std::size_t i = 0; i < server.per_call.size(); ++i) {
    const ServerCallExpect& e = server.per_call[i];
    if (!needs_finish(e)) continue;
    if (i >= seen.size() || !has_event(seen[i], server::EventKind::finished)) return false;
    if ((e.result || e.fault_status) && !seen[i].result) return false;
  }
  return true;
}

std::string Playback::waiting_for(const std::vector<CallRecord>& calls) const {
  std::string text;
  auto add = [&](const std::string& item) { text += (text.empty() ? "" : "; ") + item; };
  for (const CallRecord& c : calls) {
    if (c.ended) continue;
    add(c.started ? "call " + c.id + " had not ended" : "call " + c.id + " had not started");
  }
  for (const auto& t : world_->threads)
    add("thread " + t->name() + ": " + t->state());
  if (world_->timeline && world_->timeline->busy()) {
    add("the timeline's thread: " + world_->timeline->state());
  }
  const auto seen = world_->session->server_calls();
  std::size_t unfinished = 0;
  for (const auto& s : seen) {
    if (!has_event(s, server::EventKind::finished)) ++unfinished;
  }
  add("server: " + std::to_string(seen.size()) + " call(s) started, " + std::to_string(unfinished) +
      " still running");
  return text;
}

Observation Playback::observe() const {
  Observation o;
  o.steps = world_->journal->steps();
  for (StepRecord& s : o.steps) {
    s.began -= t0_;
    if (s.ended != Duration{}) s.ended -= t0_;
  }
  o.calls = world_->journal->calls();
  for (CallRecord& c : o.calls) {
    c.started_at -= t0_;
    c.ended_at -= t0_;
  }
  o.server_calls = world_->session->server_calls();
  for (ServerCallRecord& c : o.server_calls) {
    for (auto& e : c.events)
      e.at -= t0_;
  }
  o.wire = world_->session->wire();
  for (WirePdu& p : o.wire)
    p.at -= t0_;
  o.fault_seed = world_->session->fault_seed();
  o.faults_injected = world_->session->faults_injected();
  o.ended_at = world_->clock.now() - t0_;
  o.foreign = world_->session->foreign_side();
  o.capture_origin = world_->clock.wall(t0_);
  return o;
}

void Playback::play(ScenarioRun& run) {
  World* w = world_.get();
  auto opened = driver_.open(SessionSetup{&scenario_, &w->clock, dir_, seed_, w->capture.get()});
  if (!opened) {
    run.verdict = opened.error().skip ? Verdict::skip : Verdict::error;
    run.reason = opened.error().reason;
    run.log = opened.error().log;
    return;
  }
  w->session = std::move(*opened);
  std::vector<CallRecord> calls;
  for (const Step& step : scenario_.steps) {
    if (step.kind != StepKind::call) continue;
    CallRecord record;
    record.id = step.call;
    record.async = step.async;
    calls.push_back(record);
  }
  w->journal = std::make_shared<Journal>(scenario_.steps.size(), std::move(calls));

  if (start_threads(trouble_)) {
    t0_ = w->clock.now();
    timeline_started_ = true;
    const Duration deadline = t0_ + effective_timeout(scenario_);
    watchdog_ = w->clock.to_steady(deadline) + settings_.watchdog_grace;
    std::vector<std::size_t> order(scenario_.steps.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return scenario_.steps[a].at < scenario_.steps[b].at;
    });
    bool on_time = true;
    for (const std::size_t index : order) {
      if (!(on_time = run_step(index))) break;
    }
    if (on_time) {
      // Settle: every call ended and the server calls that expectations need finished. A
      // scenario expecting a call still running observes until its timeout instead.
      const bool window = expects_running(scenario_);
      const auto until = window ? w->clock.to_steady(deadline) : watchdog_;
      if (!w->journal->wait_until([&](const auto& s, const auto& c) { return settled(s, c); },
                                  until, kSettlePoll) &&
          !window) {
        stuck_ = "after the last step, waited for: " + waiting_for(w->journal->calls());
      }
    }
  }
  run.observed = observe();
  run.stall = std::chrono::nanoseconds(w->lag.load());
  if (monitor_ && timeline_started_) {
    run.stall = std::max(
        run.stall, monitor_->worst(w->clock.to_steady(t0_), std::chrono::steady_clock::now()));
  }

  run.alignment_error = w->session->alignment_error();
  // The driver's trouble as it was while the scenario played: shutting down may add its own.
  const std::optional<SessionError> driver_trouble = w->session->trouble();
  const std::string leftover = w->session->shutdown(std::chrono::seconds(1));
  const std::string threads_left = end_threads();
  std::string trouble_after = leftover;
  if (!threads_left.empty()) trouble_after += (trouble_after.empty() ? "" : "; ") + threads_left;

  if (driver_trouble) {  // the runtime under test was not observed to its end: nothing is judged
    run.verdict = Verdict::error;
    run.reason = driver_trouble->reason;
    run.log = driver_trouble->log;
    return;
  }

  if (!trouble_.empty()) {  // the harness's own: nothing of the runtime under test was judged
    run.verdict = Verdict::error;
    run.reason = "harness: " + trouble_;
    if (!trouble_after.empty()) run.reason += "; then " + trouble_after;
    return;
  }
  // Every expectation against what was observed, up to the watchdog if it fired: what the
  // runtime under test left running is the FAIL of the expectations it breaks.
  const TimingSettings timing = settings_.timing();
  run.mismatches = check(scenario_, run.observed, timing);
  const auto late = late_steps(run.observed, timing, run.mismatches);
  std::string watchdog = stuck_;
  if (!trouble_after.empty()) {
    watchdog += (watchdog.empty() ? "shutdown: " : "; then ") + trouble_after;
  }
  if (!watchdog.empty()) {
    if (!run.mismatches.empty()) {
      run.watchdog = std::move(watchdog);
      return;
    }
    // Nothing expected was broken, yet something did not end: the harness cannot say whose.
    run.verdict = Verdict::error;
    run.reason = (stuck_.empty() ? "" : "watchdog: ") + watchdog;
    return;
  }
  if (late) {
    run.mismatches.clear();
    run.verdict = Verdict::error;
    run.reason = "harness: " + *late;
  }
}

}  // namespace rpcfit::run
