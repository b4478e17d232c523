#include "drivers/agent/protocol_check.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <thread>

#include "drivers/agent/agent_driver.h"
#include "drivers/agent/agent_link.h"
#include "drivers/inproc/reference_server.h"

namespace rpcfit::agent {
namespace {

using Steady = std::chrono::steady_clock;

constexpr std::chrono::seconds kPatience{10};
constexpr std::uint16_t kEcho = 0;
constexpr std::uint16_t kSlow = 1;
constexpr auto kSlowFor = std::chrono::milliseconds(300);
constexpr std::uint32_t kThreadAllAccess = 0x001FFFFF;

// The server the check binds to: opnum 0 answers at once, opnum 1 after kSlowFor.
run::Scenario check_scenario() {
  run::Scenario s;
  s.id = "agent-protocol-check";
  s.protseq = "ncacn_ip_tcp";
  server::BehaviourSpec slow;
  slow.kind = server::BehaviourKind::slow;
  slow.delay = kSlowFor;
  s.server.by_opnum[kEcho] = server::BehaviourSpec{};
  s.server.by_opnum[kSlow] = slow;
  return s;
}

class Checker {
 public:
  explicit Checker(ProtocolCheck& out) : out_(out) {}

  // Records a step; false when it failed.
  bool step(const std::string& name, const std::optional<std::string>& problem,
            const std::string& seen = "") {
    out_.steps.push_back(CheckStep{name, !problem, problem ? *problem : seen});
    return !problem;
  }

 private:
  ProtocolCheck& out_;
};

Steady::time_point soon() {
  return Steady::now() + kPatience;
}

// The call answer's problem, if it is not a returned call with `input` echoed and ordered
// timestamps.
std::optional<std::string> echo_problem(const Result<Answer, std::string>& answer,
                                        const Bytes& input) {
  if (!answer) return answer.error();
  const Fields f(answer->fields, "call");
  auto returned = f.boolean("returned");
  auto status = f.status("status");
  auto output = f.bytes("output");
  auto detail = f.text("detail");
  auto began = f.integer("began_us");
  auto ended = f.integer("ended_us");
  for (const std::string* e :
       {returned ? nullptr : &returned.error(), status ? nullptr : &status.error(),
        output ? nullptr : &output.error(), detail ? nullptr : &detail.error(),
        began ? nullptr : &began.error(), ended ? nullptr : &ended.error()}) {
    if (e) return *e;
  }
  if (!*returned || *status != 0) {
    return "the call did not return (status " + std::to_string(*status) + ", " + *detail + ")";
  }
  if (*output != input) return "the output is not the input echoed: " + hex_of(*output);
  if (*ended < *began) return "ended_us is before began_us";
  return std::nullopt;
}

Json call_fields(const std::string& thread, std::uint16_t opnum, const Bytes& input) {
  return Json{{"thread", thread}, {"opnum", opnum}, {"input", hex_of(input)}};
}

}  // namespace

bool ProtocolCheck::ok() const {
  return !steps.empty() &&
         std::all_of(steps.begin(), steps.end(), [](const CheckStep& s) { return s.ok; });
}

ProtocolCheck check_agent(const std::string& command, const std::filesystem::path& run_dir) {
  ProtocolCheck out;
  Checker c(out);
  RealClock clock(1.0);
  const run::Scenario scenario = check_scenario();
  inproc::ReferenceServerSetup server_setup;
  server_setup.scenario = &scenario;
  server_setup.clock = &clock;
  server_setup.run_dir = run_dir;
  auto server = inproc::ReferenceServer::open(server_setup);
  if (!c.step("the reference server", server ? std::nullopt : std::optional(server.error()))) {
    return out;
  }

  LinkOptions options;
  options.role = "client";
  options.argv = AgentDriver::argv_of(command);
  options.private_dir = run_dir;
  auto started = AgentLink::start(options);
  if (!started) {
    c.step("hello", started.error().reason);
    out.log = started.error().log;
    return out;
  }
  AgentLink& link = **started;
  const Hello& hello = link.hello();
  c.step(
      "hello", std::nullopt,
      hello.implementation + " " + hello.version + ", protocol " + std::to_string(hello.protocol));
  auto finish = [&] {
    if (!out.ok()) {
      if (auto failure = link.failure()) out.log = failure->log;
    }
    link.stop(std::chrono::milliseconds(0));
    return out;
  };

  // The clock: three readings, none going back.
  std::optional<std::string> clock_problem;
  std::int64_t last = 0;
  for (int i = 0; i < 3 && !clock_problem; ++i) {
    auto answer = link.request("clock", nullptr, soon());
    if (!answer) {
      clock_problem = answer.error();
      break;
    }
    auto now = Fields(answer->fields, "clock").integer("now_us");
    if (!now) {
      clock_problem = now.error();
    } else if (*now < last) {
      clock_problem =
          "now_us went back from " + std::to_string(last) + " to " + std::to_string(*now);
    } else {
      last = *now;
    }
  }
  if (!c.step("clock", clock_problem)) return finish();

  auto unknown = link.exchange("no_such_operation", nullptr, soon());
  if (!c.step("an unknown operation is refused",
              !unknown      ? std::optional(unknown.error())
              : unknown->ok ? std::optional<std::string>("answered ok: true")
                            : std::nullopt,
              unknown ? unknown->error : "")) {
    return finish();
  }

  auto bound = link.request("bind", Json{{"binding", (*server)->binding()}}, soon());
  std::optional<std::string> bind_problem;
  if (!bound) {
    bind_problem = bound.error();
  } else if (auto s = Fields(bound->fields, "bind").status("status"); !s || *s != 0) {
    bind_problem = s ? "status " + std::to_string(*s) : s.error();
  }
  if (!c.step("bind", bind_problem, (*server)->binding())) return finish();

  std::vector<std::int64_t> ids;
  std::optional<std::string> thread_problem;
  for (const char* name : {"t1", "t2"}) {
    auto answer = link.request("start_thread", Json{{"thread", name}}, soon());
    auto id = answer ? Fields(answer->fields, "start_thread").integer("thread_id")
                     : Result<std::int64_t, std::string>(unexpected(answer.error()));
    if (!id) {
      thread_problem = id.error();
      break;
    }
    ids.push_back(*id);
  }
  if (!thread_problem && ids[0] == ids[1]) thread_problem = "two threads, one thread_id";
  if (!c.step("named threads", thread_problem)) return finish();

  const Bytes input{0, 1, 2, 3, 4, 5, 6, 7};
  if (!c.step("a call",
              echo_problem(link.request("call", call_fields("t1", kEcho, input), soon()), input))) {
    return finish();
  }

  // t1's call is slow; t2's, sent after it, must be answered first.
  std::optional<Result<Answer, std::string>> slow_answer;
  Steady::time_point slow_done{}, quick_done{};
  std::thread slow([&] {
    slow_answer = link.request("call", call_fields("t1", kSlow, input), soon());
    slow_done = Steady::now();
  });
  auto quick = link.request("call", call_fields("t2", kEcho, input), soon());
  quick_done = Steady::now();
  slow.join();
  std::optional<std::string> order_problem = echo_problem(quick, input);
  if (!order_problem) order_problem = echo_problem(*slow_answer, input);
  if (!order_problem && quick_done > slow_done) {
    order_problem =
        "t2's call was answered after t1's slow call: the agent must go on reading "
        "requests while a call runs, and answer each when it ends";
  }
  if (!c.step("answers out of order", order_problem)) return finish();

  std::optional<std::string> handle_problem;
  auto opened =
      link.request("open_thread", Json{{"target", "t1"}, {"access", kThreadAllAccess}}, soon());
  auto handle = opened
                    ? Fields(opened->fields, "open_thread").name_or_null("handle")
                    : Result<std::optional<std::string>, std::string>(unexpected(opened.error()));
  if (!handle) {
    handle_problem = handle.error();
  } else if (!*handle) {
    handle_problem = "OpenThread of t1 gave no handle";
  } else {
    auto closed = link.request("close_handle", Json{{"handle", **handle}}, soon());
    auto yes = closed ? Fields(closed->fields, "close_handle").boolean("closed")
                      : Result<bool, std::string>(unexpected(closed.error()));
    if (!yes) {
      handle_problem = yes.error();
    } else if (!*yes) {
      handle_problem = "closing the handle open_thread gave answered closed: false";
    }
  }
  if (!c.step("handles", handle_problem)) return finish();

  auto ended = link.request("end_calls", nullptr, soon());
  if (!c.step("end_calls", ended ? std::nullopt : std::optional(ended.error()))) return finish();
  (*server)->stop(std::chrono::seconds(1));
  auto shut = link.request("shutdown", nullptr, soon());
  std::optional<std::string> shutdown_problem;
  if (!shut) {
    shutdown_problem = shut.error();
  } else if (auto left = Fields(shut->fields, "shutdown").text("left"); !left) {
    shutdown_problem = left.error();
  } else if (!left->empty()) {
    shutdown_problem = "left: " + *left;
  }
  if (!c.step("shutdown", shutdown_problem)) return finish();
  const auto exited = link.wait_exit(std::chrono::milliseconds(5000));
  c.step("exits after shutdown",
         exited ? std::nullopt : std::optional<std::string>("still running 5 s after shutdown"),
         exited ? *exited : "");
  return finish();
}

}  // namespace rpcfit::agent
