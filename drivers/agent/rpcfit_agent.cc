#include "drivers/agent/rpcfit_agent.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>

#include "drivers/agent/protocol.h"
#include "drivers/inproc/reference_client.h"
#include "drivers/transport/protseq.h"

#ifndef RPCFIT_VERSION
#define RPCFIT_VERSION "0.0.0"
#endif

namespace rpcfit::agent {
namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// One thread of the agent's, running what it is given in order. Its state is shared with the OS
// thread, so that one left in a call nothing could end outlives the Worker.
class Worker {
 public:
  Worker() : thread_([inner = inner_] { loop(*inner); }) {}
  ~Worker() { finish(); }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void post(std::function<void()> task) {
    std::lock_guard lock(inner_->mu);
    inner_->tasks.push_back(std::move(task));
    inner_->cv.notify_all();
  }
  // Ends the thread once its queue is done; one still in a task is left behind (detached).
  void finish() {
    if (!thread_.joinable()) return;
    bool stuck = false;
    {
      std::lock_guard lock(inner_->mu);
      inner_->stop = true;
      inner_->cv.notify_all();
      stuck = inner_->busy || !inner_->tasks.empty();
    }
    if (stuck) {
      thread_.detach();
    } else {
      thread_.join();
    }
  }

 private:
  struct Inner {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> tasks;
    bool busy = false;
    bool stop = false;
  };
  static void loop(Inner& in) {
    std::unique_lock lock(in.mu);
    for (;;) {
      in.cv.wait(lock, [&] { return in.stop || !in.tasks.empty(); });
      if (in.tasks.empty()) return;
      auto task = std::move(in.tasks.front());
      in.tasks.pop_front();
      in.busy = true;
      lock.unlock();
      task();
      lock.lock();
      in.busy = false;
    }
  }

  std::shared_ptr<Inner> inner_ = std::make_shared<Inner>();
  std::thread thread_;
};

// What every thread of the agent shares; held by each task, so that a thread left in a call
// that nothing could end never reaches freed memory.
struct State {
  explicit State(std::ostream& o) : out(&o) {}
  RealClock clock{1.0};
  std::mutex out_mu;
  std::ostream* out;  // null once serve_agent returned
  std::mutex mu;
  std::shared_ptr<inproc::ReferenceClient> client;
  std::map<std::string, std::uint32_t> thread_ids;  // by name
  std::map<std::string, std::uint64_t> handles;     // the client's handle by our name

  void write(Json message) {
    const std::string line = message.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
    std::lock_guard lock(out_mu);
    if (out == nullptr) return;
    *out << line << std::flush;
  }
  void answer(std::uint64_t id, Json fields) {
    Json j = Json::object();
    j["id"] = id;
    j["ok"] = true;
    for (auto& [k, v] : fields.items())
      j[k] = v;
    write(std::move(j));
  }
  void refuse(std::uint64_t id, const std::string& error) {
    write(Json{{"id", id}, {"ok", false}, {"error", error}});
  }
  std::shared_ptr<inproc::ReferenceClient> the_client() {
    std::lock_guard lock(mu);
    return client;
  }
};

Json outcome_fields(const run::CallOutcome& o) {
  Json j = Json::object();
  j["returned"] = o.returned;
  j["status"] = o.status;
  j["output"] = hex_of(o.output);
  j["detail"] = o.detail;
  return j;
}

Json timed_status(RpcStatus s, std::int64_t began) {
  return Json{{"status", s}, {"began_us", began}, {"ended_us", now_us()}};
}

Json hello_fields() {
  Json protseqs = Json::array();
  for (auto p : {transport::Protseq::ncacn_ip_tcp, transport::Protseq::ncacn_np,
                 transport::Protseq::ncalrpc, transport::Protseq::ncacn_http,
                 transport::Protseq::ncadg_ip_udp, transport::Protseq::ncadg_mq}) {
    protseqs.push_back(std::string(transport::protseq_name(p)));
  }
  Json caps = Json::object();
  caps["roles"] = Json::array({"client"});
  caps["protseqs"] = protseqs;
  caps["async"] = true;
  caps["set_cancel_timeout"] = true;
  caps["cancel_thread"] = true;
  caps["access_masks"] = true;
  caps["server_test_cancel"] = true;
  caps["rpcfit_tuning"] = true;
  Json j = Json::object();
  j["protocol"] = kProtocolVersion;
  j["implementation"] = "rpcfit";
  j["version"] = RPCFIT_VERSION;
  j["now_us"] = now_us();
  j["capabilities"] = caps;
  return j;
}

class Session {
 public:
  Session(std::ostream& out, std::ostream& log) : state_(std::make_shared<State>(out)), log_(log) {}

  // Handles one line; whether the session is over (shutdown answered).
  bool handle(const std::string& line);
  // The end: every thread finished or left behind, and nothing more written.
  void close();

 private:
  Result<std::string, std::string> thread_of(const Fields& f) const;
  bool dispatch(std::uint64_t id, const std::string& op, const Json& j);
  void bind(std::uint64_t id, const Json& j);
  void on_thread(std::uint64_t id, const std::string& op, const Json& j);
  void on_timeline(std::uint64_t id, const std::string& op, const Json& j);

  std::shared_ptr<State> state_;
  std::ostream& log_;
  std::map<std::string, std::unique_ptr<Worker>> threads_;
  Worker timeline_;
  Worker control_;
  bool greeted_ = false;
};

bool Session::handle(const std::string& line) {
  Json j = Json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("id") || !j["id"].is_number_unsigned() ||
      !j.contains("op") || !j["op"].is_string()) {
    log_ << "rpcfit agent: not a request: " << line.substr(0, 200) << std::endl;
    return false;
  }
  const auto id = j["id"].get<std::uint64_t>();
  const auto op = j["op"].get<std::string>();
  if (!greeted_ && op != "hello") {
    state_->refuse(id, "the first request must be hello");
    return false;
  }
  return dispatch(id, op, j);
}

bool Session::dispatch(std::uint64_t id, const std::string& op, const Json& j) {
  if (op == "hello") {
    const Fields f(j, "hello");
    auto versions = j.find("versions");
    bool speaks = false;
    if (versions != j.end() && versions->is_array()) {
      for (const Json& v : *versions)
        speaks = speaks || (v.is_number_integer() && v.get<int>() == kProtocolVersion);
    }
    auto role = f.text("role");
    if (!speaks) {
      state_->refuse(id, "speaks protocol version " + std::to_string(kProtocolVersion) + " only");
    } else if (!role || *role != "client") {
      state_->refuse(id, "plays the client role only");
    } else {
      greeted_ = true;
      state_->answer(id, hello_fields());
    }
    return false;
  }
  if (op == "clock") {
    state_->answer(id, Json{{"now_us", now_us()}});
    return false;
  }
  if (op == "bind") {
    bind(id, j);
    return false;
  }
  if (op == "start_thread" || op == "call" || op == "set_cancel_timeout" || op == "begin_async") {
    on_thread(id, op, j);
    return false;
  }
  if (op == "open_thread" || op == "close_handle" || op == "cancel_thread_ex" ||
      op == "cancel_thread" || op == "cancel_async") {
    on_timeline(id, op, j);
    return false;
  }
  if (op == "end_calls" || op == "shutdown") {
    auto client = state_->the_client();
    if (!client) {
      state_->answer(id, op == "shutdown" ? Json{{"left", ""}} : Json::object());
      return op == "shutdown";
    }
    if (op == "end_calls") {
      control_.post([state = state_, client, id] {
        client->end_calls();
        state->answer(id, Json::object());
      });
      return false;
    }
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    control_.post([state = state_, client, id, &mu, &cv, &done] {
      state->answer(id, Json{{"left", client->finish()}});
      std::lock_guard lock(mu);
      done = true;
      cv.notify_all();
    });
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done; });
    return true;
  }
  state_->refuse(id, "no operation \"" + op + "\"");
  return false;
}

void Session::bind(std::uint64_t id, const Json& j) {
  const Fields f(j, "bind");
  auto binding = f.text("binding");
  if (!binding) return state_->refuse(id, binding.error());
  if (state_->the_client()) return state_->refuse(id, "bound already");
  inproc::ReferenceClientSetup setup;
  setup.clock = &state_->clock;
  setup.binding = *binding;
  if (auto tuning = j.find("tuning"); tuning != j.end() && tuning->is_object()) {
    const Fields t(*tuning, "bind tuning");
    if (auto dir = t.text("run_dir")) setup.run_dir = *dir;
    if (auto seed = t.text("seed")) {
      try {
        setup.seed = std::stoull(*seed);
      } catch (const std::exception&) {
        return state_->refuse(id, "bind tuning: seed " + *seed + " is not a number");
      }
    }
    if (auto legacy = t.boolean("legacy_platform")) setup.legacy_platform = *legacy;
    auto ms = [&](const char* key) -> std::optional<Duration> {
      if (!t.has(key) || !(*tuning)[key].is_number()) return std::nullopt;
      return std::chrono::duration_cast<Duration>(
          std::chrono::duration<double, std::milli>((*tuning)[key].get<double>()));
    };
    if (auto d = ms("dg_retransmit_ms")) setup.binding_options.dg_retransmit = *d;
    if (auto d = ms("dg_comm_timeout_ms")) setup.binding_options.dg_comm_timeout = *d;
  }
  auto client = inproc::ReferenceClient::open(setup);
  if (!client) {
    log_ << "rpcfit agent: bind " << *binding << ": " << client.error() << std::endl;
    return state_->answer(id, Json{{"status", status::kInvalidBinding}});
  }
  std::lock_guard lock(state_->mu);
  state_->client = std::shared_ptr<inproc::ReferenceClient>(std::move(*client));
  state_->answer(id, Json{{"status", status::kOk}});
}

Result<std::string, std::string> Session::thread_of(const Fields& f) const {
  auto name = f.text("thread");
  if (!name) return unexpected(name.error());
  if (!threads_.count(*name)) return unexpected("no thread named " + *name);
  return *name;
}

void Session::on_thread(std::uint64_t id, const std::string& op, const Json& j) {
  const Fields f(j, op);
  auto client = state_->the_client();
  if (!client) return state_->refuse(id, op + " before bind");
  if (op == "start_thread") {
    auto name = f.text("thread");
    if (!name) return state_->refuse(id, name.error());
    if (threads_.count(*name)) return state_->refuse(id, "a thread named " + *name + " exists");
    auto& worker = threads_[*name] = std::make_unique<Worker>();
    worker->post([state = state_, client, id, name = *name] {
      const std::uint32_t tid = client->register_thread();
      {
        std::lock_guard lock(state->mu);
        state->thread_ids[name] = tid;
      }
      state->answer(id, Json{{"thread_id", tid}});
    });
    return;
  }
  auto thread = thread_of(f);
  if (!thread) return state_->refuse(id, thread.error());
  Worker& worker = *threads_[*thread];
  if (op == "set_cancel_timeout") {
    auto timeout = f.integer("timeout");
    if (!timeout) return state_->refuse(id, timeout.error());
    worker.post([state = state_, client, id, timeout = *timeout] {
      const std::int64_t began = now_us();
      state->answer(id,
                    timed_status(client->set_cancel_timeout(static_cast<long>(timeout)), began));
    });
    return;
  }
  auto opnum = f.integer("opnum");
  auto input = f.bytes("input");
  if (!opnum || *opnum < 0 || *opnum > 0xFFFF) {
    return state_->refuse(id, opnum ? "opnum out of range" : opnum.error());
  }
  if (!input) return state_->refuse(id, input.error());
  const auto n = static_cast<std::uint16_t>(*opnum);
  if (op == "call") {
    worker.post([state = state_, client, id, n, input = *input] {
      const std::int64_t began = now_us();
      Json fields = outcome_fields(client->call(n, input));
      fields["began_us"] = began;
      fields["ended_us"] = now_us();
      state->answer(id, std::move(fields));
    });
    return;
  }
  auto key = f.integer("key");
  if (!key || *key < 0 || *key > 1'000'000) {
    return state_->refuse(id, key ? "key out of range" : key.error());
  }
  worker.post([state = state_, client, id, n, input = *input, key = static_cast<int>(*key)] {
    const RpcStatus begun =
        client->begin_async(key, n, input, [state, key](const run::CallOutcome& o) {
          Json event = outcome_fields(o);
          event["event"] = "async_completed";
          event["key"] = key;
          event["at_us"] = now_us();
          state->write(std::move(event));
        });
    state->answer(id, Json{{"status", begun}});
  });
}

void Session::on_timeline(std::uint64_t id, const std::string& op, const Json& j) {
  const Fields f(j, op);
  auto client = state_->the_client();
  if (!client) return state_->refuse(id, op + " before bind");
  if (op == "cancel_async") {
    auto key = f.integer("key");
    auto abortive = f.boolean("abortive");
    if (!key) return state_->refuse(id, key.error());
    if (!abortive) return state_->refuse(id, abortive.error());
    timeline_.post([state = state_, client, id, key = static_cast<int>(*key), a = *abortive] {
      const std::int64_t began = now_us();
      state->answer(id, timed_status(client->cancel_async(key, a), began));
    });
    return;
  }
  if (op == "open_thread") {
    auto target = f.text("target");
    auto access = f.integer("access");
    if (!target) return state_->refuse(id, target.error());
    if (!access || *access < 0 || *access > 0xFFFFFFFFll) {
      return state_->refuse(id, access ? "access out of range" : access.error());
    }
    timeline_.post([state = state_, client, id, target = *target,
                    access = static_cast<std::uint32_t>(*access)] {
      std::uint32_t tid = 0;
      {
        std::lock_guard lock(state->mu);
        auto it = state->thread_ids.find(target);
        if (it != state->thread_ids.end()) tid = it->second;
      }
      const std::uint64_t h = tid == 0 ? 0 : client->open_thread(access, tid);
      if (h == 0) return state->answer(id, Json{{"handle", nullptr}});
      const std::string name = "h" + std::to_string(h);
      {
        std::lock_guard lock(state->mu);
        state->handles[name] = h;
      }
      state->answer(id, Json{{"handle", name}});
    });
    return;
  }
  auto name = f.name_or_null("handle");
  if (!name) return state_->refuse(id, name.error());
  std::optional<long> timeout;
  if (op == "cancel_thread_ex") {
    auto t = f.integer("timeout");
    if (!t) return state_->refuse(id, t.error());
    timeout = static_cast<long>(*t);
  }
  timeline_.post([state = state_, client, id, op, name = *name, timeout] {
    std::uint64_t h = 0;
    if (name) {
      std::lock_guard lock(state->mu);
      auto it = state->handles.find(*name);
      // A name the agent never gave is a handle no thread has: not the null handle.
      h = it == state->handles.end() ? ~std::uint64_t{0} : it->second;
    }
    const std::int64_t began = now_us();
    if (op == "close_handle") {
      const bool closed = client->close_handle(h);
      if (closed && name) {
        std::lock_guard lock(state->mu);
        state->handles.erase(*name);
      }
      return state->answer(id, Json{{"closed", closed}});
    }
    const RpcStatus s = timeout ? client->cancel_thread_ex(h, *timeout) : client->cancel_thread(h);
    state->answer(id, timed_status(s, began));
  });
}

void Session::close() {
  for (auto& [name, worker] : threads_)
    worker->finish();
  timeline_.finish();
  control_.finish();
  std::lock_guard lock(state_->out_mu);
  state_->out = nullptr;
}

// The next line of `in` without its newline, read no further than kMaxLine + 1 bytes; false at
// the end of `in`.
bool read_line(std::istream& in, std::string& line) {
  line.clear();
  char c = 0;
  while (in.get(c)) {
    if (c == '\n') return true;
    line += c;
    if (line.size() > kMaxLine) return true;
  }
  return !line.empty();
}

}  // namespace

int serve_agent(std::istream& in, std::ostream& out, std::ostream& log) {
  // A stream tied to `out` (std::cin is, to std::cout) would flush it on every read, from the
  // reader's thread, racing the threads that write answers: untied while the session lasts.
  std::ostream* const tied = in.tie(nullptr);
  Session session(out, log);
  std::string line;
  int status = 2;
  while (read_line(in, line)) {
    if (line.size() > kMaxLine) {
      log << "rpcfit agent: a request line longer than " << kMaxLine << " bytes; ending"
          << std::endl;
      break;
    }
    if (session.handle(line)) {
      status = 0;
      break;
    }
  }
  session.close();
  in.tie(tied);
  return status;
}

}  // namespace rpcfit::agent
