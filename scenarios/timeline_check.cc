// Checks across steps and expectations: every name a step or expectation uses is defined, and
// defined no later in the timeline than its use; expected instants do not precede their cause.
// "Earlier" is the runner's order: by `at`, ties in file order.
#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "harness/fault/fault_spec.h"
#include "scenarios/load_parts.h"

namespace rpcfit::scenarios::detail {
namespace {

using run::StepKind;

std::string step_ref(std::size_t index, const run::Step& step) {
  return "steps[" + std::to_string(index) + "], at " + fault::duration_text(step.at);
}

class TimelineCheck {
 public:
  TimelineCheck(Reader& r, run::Scenario& s, const std::vector<StepNote>& notes)
      : r_(r), s_(s), notes_(notes) {
    std::vector<std::size_t> order(s.steps.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return s.steps[a].at < s.steps[b].at; });
    rank_.resize(order.size());
    for (std::size_t i = 0; i < order.size(); ++i)
      rank_[order[i]] = i;
  }

  void definitions() {
    threads_.insert("main");
    for (std::size_t i = 0; i < s_.steps.size(); ++i) {
      const run::Step& step = s_.steps[i];
      const StepNote& note = notes_[i];
      if (!note.kind_known) continue;
      if (step.kind == StepKind::call) {
        ++call_count_;
        const auto [it, fresh] = calls_.emplace(step.call, i);
        if (!fresh) {
          r_.error(note.call_loc, note.path,
                   "duplicate call id " + in_quotes(step.call) + " (first at " +
                       step_ref(it->second, s_.steps[it->second]) + ")");
        }
        if (!first_call_ || step.at < s_.steps[*first_call_].at) first_call_ = i;
      }
      if (!note.valid) continue;
      if (step.kind == StepKind::call || step.kind == StepKind::set_cancel_timeout) {
        threads_.insert(step.thread);
      }
      if (step.kind == StepKind::open_thread && !step.handle.empty()) {
        const auto [it, fresh] = handles_.emplace(step.handle, i);
        if (!fresh) {
          r_.error(note.handle_loc, key_path(note.path, "handle"),
                   "duplicate handle " + in_quotes(step.handle) + " (first opened at " +
                       step_ref(it->second, s_.steps[it->second]) + ")");
        }
      }
    }
  }

  void uses() {
    for (std::size_t i = 0; i < s_.steps.size(); ++i) {
      const run::Step& step = s_.steps[i];
      const StepNote& note = notes_[i];
      if (!note.valid) continue;
      switch (step.kind) {
        case StepKind::call:
        case StepKind::set_cancel_timeout:
          break;
        case StepKind::cancel:
        case StepKind::cancel_thread:
        case StepKind::open_thread:
          target_thread(step, note);
          if (step.kind != StepKind::open_thread) used_handle(i, step, note);
          break;
        case StepKind::close_handle:
          used_handle(i, step, note);
          break;
        case StepKind::async_cancel:
        case StepKind::wait:
          used_call(i, step, note);
          break;
      }
    }
  }

  // Nothing may be due after the scenario's timeout: the watchdog ends the run there.
  void within_timeout(const ExpectNotes& notes) {
    const Duration limit = run::effective_timeout(s_);
    const std::string after = " is after the scenario's timeout (" + fault::duration_text(limit) +
                              (s_.timeout ? ""
                                          : ", by default the latest instant named + the "
                                            "server's longest routine + " +
                                                fault::duration_text(run::kTimeoutSlack)) +
                              "), where the watchdog ends the run";
    for (std::size_t i = 0; i < s_.steps.size(); ++i) {
      if (!notes_[i].at_loc || s_.steps[i].at <= limit) continue;
      r_.error(*notes_[i].at_loc, index_path("steps", i) + ".at",
               "impossible timeline: " + fault::duration_text(s_.steps[i].at) + after);
    }
    for (std::size_t i = 0; i < s_.expect.calls.size() && i < notes.calls.size(); ++i) {
      const auto& at = s_.expect.calls[i].ended_at;
      if (!at || at->at <= limit) continue;
      r_.error(at->loc, key_path(notes.calls[i].path, "at"),
               "impossible timeline: " + fault::duration_text(at->at) + after);
    }
    for (const TimeNote& t : notes.times) {
      if (t.time.at <= limit) continue;
      r_.error(t.time.loc, t.path,
               "impossible timeline: " + fault::duration_text(t.time.at) + after);
    }
  }

  void expectations(const ExpectNotes& notes) {
    for (std::size_t i = 0; i < s_.expect.calls.size() && i < notes.calls.size(); ++i) {
      expected_call(s_.expect.calls[i], notes.calls[i]);
    }
    if (!first_call_) return;
    const run::Step& first = s_.steps[*first_call_];
    for (const TimeNote& t : notes.times) {
      if (t.time.at >= first.at) continue;
      r_.error(t.time.loc, t.path,
               "impossible timeline: " + fault::duration_text(t.time.at) +
                   " is before the first call starts (" + step_ref(*first_call_, first) + ")");
    }
  }

 private:
  // Whether step `a` runs before step `b`.
  bool before(std::size_t a, std::size_t b) const { return rank_[a] < rank_[b]; }

  void target_thread(const run::Step& step, const StepNote& note) {
    if (!note.has_thread || threads_.count(step.thread)) return;
    r_.error(note.thread_loc, key_path(note.path, "thread"),
             "no step runs on thread " + in_quotes(step.thread) +
                 " (client threads are main and those of call and set_cancel_timeout steps)");
  }

  void used_handle(std::size_t i, const run::Step& step, const StepNote& note) {
    if (!note.has_handle || step.null_handle || step.handle.empty()) return;
    const std::string path = key_path(note.path, "handle");
    auto it = handles_.find(step.handle);
    if (it == handles_.end()) {
      r_.error(note.handle_loc, path, "no open_thread step opens handle " + in_quotes(step.handle));
    } else if (before(i, it->second)) {
      r_.error(note.handle_loc, path,
               "handle " + in_quotes(step.handle) + " is opened only later (" +
                   step_ref(it->second, s_.steps[it->second]) + ")");
    }
  }

  void used_call(std::size_t i, const run::Step& step, const StepNote& note) {
    if (step.call.empty()) return;
    const std::string path = key_path(note.path, "call");
    auto it = calls_.find(step.call);
    if (it == calls_.end()) {
      r_.error(note.call_loc, path, "no call step has id " + in_quotes(step.call));
      return;
    }
    const run::Step& call = s_.steps[it->second];
    if (before(i, it->second)) {
      r_.error(note.call_loc, path,
               "call " + in_quotes(step.call) + " starts only later (" +
                   step_ref(it->second, call) + ")");
    } else if (step.kind == StepKind::async_cancel && !call.async && notes_[it->second].valid) {
      r_.error(note.call_loc, path,
               "call " + in_quotes(step.call) +
                   " is synchronous; async_cancel cancels async calls (use cancel)");
    }
  }

  void expected_call(run::CallExpect& expect, const CallExpectNote& note) {
    if (note.shorthand) {
      if (call_count_ != 1) {
        r_.error(note.key_loc, note.path,
                 "the shorthand is for a scenario with one call step; this one has " +
                     std::to_string(call_count_) + " (use expect.calls)");
        return;
      }
      expect.call = calls_.begin()->first;
    }
    auto it = calls_.find(expect.call);
    if (it == calls_.end()) {
      r_.error(note.key_loc, note.path, "no call step has id " + in_quotes(expect.call));
      return;
    }
    const run::Step& call = s_.steps[it->second];
    if (note.raises && call.async) {
      r_.error(note.raises_loc, key_path(note.path, "raises"),
               "call " + in_quotes(expect.call) +
                   " is async and raises nothing; its outcome is a status");
    }
    if (expect.ended_at && expect.ended_at->at < call.at) {
      r_.error(expect.ended_at->loc, key_path(note.path, "at"),
               "impossible timeline: " + fault::duration_text(expect.ended_at->at) +
                   " is before call " + in_quotes(expect.call) + " starts (" +
                   step_ref(it->second, call) + ")");
    }
  }

  Reader& r_;
  run::Scenario& s_;
  const std::vector<StepNote>& notes_;
  std::vector<std::size_t> rank_;
  std::map<std::string, std::size_t> calls_;    // id -> the step defining it
  std::map<std::string, std::size_t> handles_;  // name -> the open_thread step
  std::set<std::string> threads_;
  std::size_t call_count_ = 0;
  std::optional<std::size_t> first_call_;
};

}  // namespace

void check_timeline(Reader& r, run::Scenario& scenario, const std::vector<StepNote>& steps,
                    const ExpectNotes& expect) {
  TimelineCheck check(r, scenario, steps);
  check.definitions();
  check.uses();
  check.expectations(expect);
  check.within_timeout(expect);
}

}  // namespace rpcfit::scenarios::detail
