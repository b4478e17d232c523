// Null-call latency, throughput and cancel latency of the runtime, each against raw sockets that
// carry the same bytes in the same run. A plain program (not the Google Benchmark runner) that
// prints medians, p90s and ratios with PASS/FAIL against the targets:
//   - a null call within 1.5x of a raw ping-pong of the same request and response PDUs;
//   - RpcCancelThreadEx -> RpcTestCancel within 2x the raw one-way latency (raw TCP round trip / 2)
//     plus the polling period, for a routine that polls RpcTestCancel in a tight loop.
// Raw and runtime round trips alternate in blocks. Unpinned, the scheduler keeps each thread pair
// on one CPU or on two (a cross-CPU round trip costs several times more), so every row shows the
// share of cross-CPU round trips, and a ratio between rows placed differently is not judged (SKIP).
// Exits 1 when a target is missed, 3 on error. tools/bench.sh runs it pinned to one CPU and not.
// Usage: runtime_bench [--pass NAME] [--iterations N] [--warmup N] [--cancels N] [--seconds S]
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "drivers/runtime/client.h"
#include "drivers/runtime/server.h"
#include "drivers/runtime/test_interface.h"

namespace rpcfit::rpc {
namespace {

using Steady = std::chrono::steady_clock;
using transport::Protseq;
using Once = std::function<void()>;
constexpr std::uint16_t kSpinOp = 3;  // added to the test interface here: polls RpcTestCancel
constexpr int kBlock = 500;           // round trips per alternating block
constexpr int kCancelWarmup = 100;

struct Options {
  std::string pass = "unnamed";
  int iterations = 20000;  // timed round trips per row, after `warmup` untimed ones
  int warmup = 2000;
  int cancels = 2000;
  double seconds = 1.5;  // per throughput row and side
};

// The CPU the serving thread (raw server thread or echo routine) ran on for the last request.
std::atomic<int> g_server_cpu{-1};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now().time_since_epoch())
      .count();
}

void check(bool ok, const std::string& what) {
  if (!ok) throw std::system_error(errno, std::generic_category(), what);
}

// A counter to wait on that blocks in the kernel at once (std::atomic::wait spins and yields
// first, which would put the waiting thread between the threads under test on one CPU).
class Counter {
 public:
  void add() {
    std::lock_guard lock(mu_);
    ++n_;
    cv_.notify_all();
  }
  int get() {
    std::lock_guard lock(mu_);
    return n_;
  }
  void wait_until(int at) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return n_ >= at; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_ = 0;
};

struct Samples {
  std::vector<double> us;
  int cross = 0;  // round trips whose server ran on another CPU than the client
};

struct Stats {
  double median = 0;  // microseconds
  double p90 = 0;
  double cross = 0;  // share of cross-CPU round trips
};

Stats stats_of(Samples s) {
  if (s.us.empty()) return {};
  std::sort(s.us.begin(), s.us.end());
  const auto n = s.us.size();
  return {s.us[n / 2], s.us[n * 9 / 10], s.cross / static_cast<double>(n)};
}

void time_block(int n, const Once& once, Samples& s) {
  for (int i = 0; i < n; ++i) {
    const auto start = Steady::now();
    once();
    s.us.push_back(std::chrono::duration<double, std::micro>(Steady::now() - start).count());
    if (sched_getcpu() != g_server_cpu.load(std::memory_order_relaxed)) ++s.cross;
  }
}

std::pair<Stats, Stats> interleaved(const Options& o, const Once& raw, const Once& rpc) {
  for (int i = 0; i < o.warmup; ++i) {
    raw();
    rpc();
  }
  Samples a, b;
  for (int done = 0; done < o.iterations; done += kBlock) {
    time_block(std::min(kBlock, o.iterations - done), raw, a);
    time_block(std::min(kBlock, o.iterations - done), rpc, b);
  }
  return {stats_of(std::move(a)), stats_of(std::move(b))};
}

// Calls per second of `threads` threads, each running make()() in a loop for `seconds` after 100
// untimed calls (which also open the connections).
double calls_per_second(double seconds, int threads, const std::function<Once()>& make) {
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> total{0};
  std::latch ready(threads + 1);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      const Once once = make();
      for (int i = 0; i < 100; ++i)
        once();
      ready.arrive_and_wait();
      std::int64_t n = 0;
      for (once(); !stop.load(std::memory_order_relaxed); once())
        ++n;
      total += n;
    });
  }
  ready.arrive_and_wait();
  const auto start = Steady::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  const double elapsed = std::chrono::duration<double>(Steady::now() - start).count();
  for (auto& t : pool)
    t.join();
  return static_cast<double>(total.load()) / elapsed;
}

// ---- the raw ping-pong: blocking read() then write() on the server thread, write() then read()
// on the client, TCP_NODELAY, one server thread per connection as the runtime has ----

// Writes (out) or reads all of `bytes`, blocking; false on end of stream or error.
bool transfer(int fd, Bytes& bytes, bool out) {
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = out ? ::write(fd, bytes.data() + done, bytes.size() - done)
                          : ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

struct RawConnection {
  RawConnection(int f, Bytes req, std::size_t response_size)
      : fd(f), request(std::move(req)), response(response_size) {}
  ~RawConnection() { ::close(fd); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  void round_trip() { check(transfer(fd, request, true) && transfer(fd, response, false), "raw"); }
  int fd;
  Bytes request, response;
};

// Connections are accepted by client() itself, and each gets its own server thread.
class RawServer {
 public:
  // TCP on 127.0.0.1 (any port) when `path` is empty, else a Unix stream socket at `path`.
  RawServer(const std::filesystem::path& path, Bytes request, Bytes response)
      : tcp_(path.empty()), request_(std::move(request)), response_(std::move(response)) {
    if (tcp_) {
      auto* in = reinterpret_cast<sockaddr_in*>(&address_);
      in->sin_family = AF_INET;
      in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      length_ = sizeof(sockaddr_in);
    } else {
      auto* un = reinterpret_cast<sockaddr_un*>(&address_);
      un->sun_family = AF_UNIX;
      check(path.native().size() < sizeof un->sun_path, "socket path too long");
      std::strcpy(un->sun_path, path.c_str());
      length_ = sizeof(sockaddr_un);
    }
    listen_fd_ = ::socket(address_.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(listen_fd_ >= 0 && ::bind(listen_fd_, address(), length_) == 0 &&
              ::listen(listen_fd_, 64) == 0 &&
              ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address_), &length_) == 0,
          "raw listen");
  }
  ~RawServer() {  // every client connection must be closed by now
    for (auto& t : threads_)
      t.join();
    ::close(listen_fd_);
  }
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  std::shared_ptr<RawConnection> client() {
    const int fd = ::socket(address_.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(fd >= 0 && ::connect(fd, address(), length_) == 0, "raw connect");
    const int peer = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    check(peer >= 0, "raw accept");
    const int one = 1;
    for (int s : {fd, peer}) {
      if (tcp_) check(::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0, "nodelay");
    }
    std::lock_guard lock(mu_);
    threads_.emplace_back([this, peer] {
      Bytes request(request_.size()), response = response_;
      while (transfer(peer, request, false)) {
        g_server_cpu.store(sched_getcpu(), std::memory_order_relaxed);
        if (!transfer(peer, response, true)) break;
      }
      ::close(peer);
    });
    return std::make_shared<RawConnection>(fd, request_, response_.size());
  }

 private:
  const sockaddr* address() const { return reinterpret_cast<const sockaddr*>(&address_); }

  const bool tcp_;
  const Bytes request_, response_;
  sockaddr_storage address_{};
  socklen_t length_ = 0;
  int listen_fd_ = -1;
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

int g_missed = 0;

const char* verdict(bool pass) {
  if (!pass) ++g_missed;
  return pass ? "PASS" : "FAIL";
}

// ---- the runtime ----

// Keeps the first request and the first response PDU a runtime sends or receives.
class FirstPdus : public CaptureSink {
 public:
  void connection_opened(Timestamp, const Endpoint&, const Endpoint&) override {}
  void connection_closed(Timestamp, const Endpoint&, const Endpoint&) override {}
  void pdu(const CapturedPdu& pdu) override {
    std::lock_guard lock(mu_);
    if (pdu.bytes.size() < 3) return;
    const auto type = static_cast<wire::PType>(pdu.bytes[2]);
    if (type == wire::PType::request && request_.empty()) request_ = pdu.bytes;
    if (type == wire::PType::response && response_.empty()) response_ = pdu.bytes;
  }
  std::pair<Bytes, Bytes> take() {
    std::lock_guard lock(mu_);
    return {request_, response_};
  }

 private:
  std::mutex mu_;
  Bytes request_, response_;
};

std::shared_ptr<Binding> bind_to(Runtime& runtime, Server& server, Protseq protseq) {
  auto endpoint = server.listen(protseq);
  if (!endpoint) throw std::runtime_error("listen: " + endpoint.error());
  const std::string text = protseq == Protseq::ncalrpc
                               ? "ncalrpc:[" + *endpoint + "]"
                               : "ncacn_ip_tcp:127.0.0.1[" + *endpoint + "]";
  auto binding = Binding::from_string(runtime, text);
  if (!binding) throw std::runtime_error(text + ": " + status_text(binding.error()));
  return *binding;
}

// The request and response PDUs of one null call, as the runtime puts them on the wire.
std::pair<Bytes, Bytes> null_call_pdus(const std::filesystem::path& run_dir, Protseq protseq) {
  FirstPdus capture;
  Runtime runtime(RuntimeOptions{nullptr, &capture, run_dir});
  Server server(runtime);
  server.register_interface(test_interface());
  bind_to(runtime, server, protseq)->call(test_interface_id(), test_op::kEcho, {});
  server.stop(seconds(5));
  return capture.take();
}

// What the kSpinOp routine reports.
struct SpinProbe {
  Counter started;
  std::atomic<std::int64_t> seen_ns{0};  // when RpcTestCancel returned RPC_S_OK
  std::atomic<std::int64_t> polls{0};
  std::atomic<std::int64_t> spin_ns{0};
};

ManagerRoutine spin_routine(SpinProbe& probe) {
  return [&probe](ServerCall& call, ByteView) -> Bytes {
    const std::int64_t begin = now_ns();
    probe.started.add();
    std::int64_t polls = 1;
    while (RpcTestCancel() != status::kOk) {
      if (++polls % 4096 == 0 && (call.stopping() || now_ns() - begin > 10'000'000'000)) break;
    }
    const std::int64_t seen = now_ns();
    probe.seen_ns = seen;
    probe.polls += polls;
    probe.spin_ns += seen - begin;
    RpcRaiseException(status::kCallCancelled);
  };
}

// A client thread makes one kSpinOp call per `go`. For each, this thread waits until the routine
// polls, lets it poll 200 us (the client thread then waits in poll()) and cancels. Every 100
// cancels, with no call in progress, it times raw round trips for the one-way baseline.
void cancel_latency(const Options& o, Runtime& runtime, Binding& binding, SpinProbe& probe,
                    const Once& raw) {
  const int total = kCancelWarmup + o.cancels;
  std::atomic<ThreadId> client_id{0};
  std::atomic<int> wrong{0};
  Counter ready, go, done;
  std::thread client([&] {
    client_id = runtime.GetCurrentThreadId();
    ready.add();
    for (int i = 0; i < total; ++i) {
      go.wait_until(i + 1);
      try {
        binding.call(test_interface_id(), kSpinOp, {});
        ++wrong;
      } catch (const RpcException& e) {
        if (e.status() != status::kCallCancelled) ++wrong;
      }
      done.add();
    }
  });
  ready.wait_until(1);
  const ThreadHandle handle = runtime.OpenThread(access::kThreadAllAccess, client_id.load());
  Samples latency, raw_rtt;
  const int started_before = probe.started.get();
  const std::int64_t polls_before = probe.polls.load(), spin_before = probe.spin_ns.load();
  for (int i = 0; i < total; ++i) {
    if (i % 100 == 0) time_block(2 * kBlock, raw, raw_rtt);
    go.add();
    probe.started.wait_until(started_before + i + 1);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    const std::int64_t posted = now_ns();
    const RpcStatus st = runtime.RpcCancelThreadEx(handle, kCancelInfiniteTimeout);
    if (st != status::kOk) {  // the call would spin for 10 s: give up at once
      std::fprintf(stderr, "runtime_bench: RpcCancelThreadEx: %s\n", status_text(st).c_str());
      std::_Exit(3);
    }
    done.wait_until(i + 1);
    const auto us = static_cast<double>(probe.seen_ns.load() - posted) / 1e3;
    if (i >= kCancelWarmup) latency.us.push_back(us);
  }
  client.join();
  runtime.CloseHandle(handle);
  if (wrong > 0) throw std::runtime_error("a spin call did not end RPC_S_CALL_CANCELLED");
  const Stats rpc = stats_of(std::move(latency)), rtt = stats_of(std::move(raw_rtt));
  const double period = static_cast<double>(probe.spin_ns.load() - spin_before) / 1e3 /
                        static_cast<double>(probe.polls.load() - polls_before);
  const double one_way = rtt.median / 2, bound = 2 * one_way + period;
  std::printf("  RpcCancelThreadEx->TestCancel %9.2f %9.2f %6s %7.2fx %9s %7.2fx %s\n", rpc.median,
              rpc.p90, "", rpc.median / one_way, "", bound / one_way, verdict(rpc.median <= bound));
  std::printf("  raw round trip, between them  %9.2f %9.2f %5.0f%%   (one-way: half, %.2f)\n",
              rtt.median, rtt.p90, 100 * rtt.cross, one_way);
  std::printf(
      "  RpcTestCancel polling period  %9.3f   (mean of a tight loop); target %.2f = 2 x "
      "one-way + period\n",
      period, bound);
}

int run(const Options& o) {
  std::string pattern = (std::filesystem::temp_directory_path() / "rpcfit-bench-XXXXXX").string();
  check(::mkdtemp(pattern.data()) != nullptr, "mkdtemp");
  const std::filesystem::path dir = pattern;
  struct Remove {
    std::filesystem::path dir;
    ~Remove() { std::filesystem::remove_all(dir); }
  } remove{dir};

  cpu_set_t cpus;
  check(sched_getaffinity(0, sizeof cpus, &cpus) == 0, "sched_getaffinity");
  std::printf(
      "== runtime_bench, pass %s: %d CPU(s) allowed; %d round trips after %d warm-up, "
      "%d cancels; times in us ==\n",
      o.pass.c_str(), CPU_COUNT(&cpus), o.iterations, o.warmup, o.cancels);
  SpinProbe probe;
  Runtime runtime(RuntimeOptions{nullptr, nullptr, dir});
  Server server(runtime);
  InterfaceRegistration registration = test_interface();
  registration.routines[kSpinOp] = spin_routine(probe);
  registration.routines[test_op::kEcho] = [echo = registration.routines[test_op::kEcho]](
                                              ServerCall& call, ByteView input) {
    g_server_cpu.store(sched_getcpu(), std::memory_order_relaxed);  // then the real echo
    return echo(call, input);
  };
  server.register_interface(registration);

  const char* columns = "%-30s %9s %9s %6s %8s %9s %8s %s\n";
  for (const Protseq protseq : {Protseq::ncacn_ip_tcp, Protseq::ncalrpc}) {
    const bool tcp = protseq == Protseq::ncacn_ip_tcp;
    auto [request, response] = null_call_pdus(dir, protseq);
    RawServer raw(tcp ? std::filesystem::path() : dir / "raw.sock", request, response);
    const auto binding = bind_to(runtime, server, protseq);
    const auto client = raw.client();
    const Once raw_once = [&] { client->round_trip(); };
    const Once rpc_once = [&] { binding->call(test_interface_id(), test_op::kEcho, {}); };
    const auto [raw_rtt, rpc_rtt] = interleaved(o, raw_once, rpc_once);
    const double ratio = rpc_rtt.median / raw_rtt.median;
    std::printf("\n%s: request %zu B, response %zu B\n", transport::protseq_name(protseq).data(),
                request.size(), response.size());
    std::printf(columns, "round trip", "median", "p90", "x-CPU", "ratio", "p90 ratio", "target",
                "result");
    std::printf("  raw ping-pong                %9.2f %9.2f %5.0f%%\n", raw_rtt.median, raw_rtt.p90,
                100 * raw_rtt.cross);
    std::printf("  null call                    %9.2f %9.2f %5.0f%% %7.2fx %8.2fx %8s %s\n",
                rpc_rtt.median, rpc_rtt.p90, 100 * rpc_rtt.cross, ratio, rpc_rtt.p90 / raw_rtt.p90,
                "<=1.50x",
                std::abs(raw_rtt.cross - rpc_rtt.cross) > 0.25 ? "SKIP (placed differently)"
                                                               : verdict(ratio <= 1.5));
    std::printf(columns, "calls per second", "runtime", "raw", "", "ratio", "", "", "");
    const auto raw_client = [&] {
      const auto c = raw.client();
      return Once([c] { c->round_trip(); });
    };
    for (int threads : {1, 16}) {  // 16 threads share one Binding
      double raw_rate = 0, rpc_rate = 0;
      for (int round = 0; round < 3; ++round) {  // alternating, as the round trips
        raw_rate += calls_per_second(o.seconds / 3, threads, raw_client) / 3;
        rpc_rate += calls_per_second(o.seconds / 3, threads, [&] { return rpc_once; }) / 3;
      }
      std::printf("  %2d client thread%s            %9.0f %9.0f %6s %7.2fx\n", threads,
                  threads == 1 ? " " : "s", rpc_rate, raw_rate, "", rpc_rate / raw_rate);
    }
    if (!tcp) continue;  // ncalrpc calls cannot be cancelled (CS-PS-1)
    std::printf(columns, "cancel", "median", "p90", "", "/one-way", "", "target", "result");
    cancel_latency(o, runtime, *binding, probe, raw_once);
    std::fflush(stdout);
  }
  std::printf("\npass %s: %s\n", o.pass.c_str(),
              g_missed == 0 ? "all judged targets met"
                            : (std::to_string(g_missed) + " target(s) missed").c_str());
  server.stop(seconds(5));
  return g_missed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace rpcfit::rpc

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  rpcfit::rpc::Options o;
  CLI::App app{"rpcfit runtime benchmark: null calls, throughput and cancels against raw sockets"};
  app.add_option("--pass", o.pass, "Name of this pass in the report");
  app.add_option("--iterations", o.iterations, "Timed round trips per row")
      ->check(CLI::PositiveNumber);
  app.add_option("--warmup", o.warmup, "Untimed round trips first")->check(CLI::NonNegativeNumber);
  app.add_option("--cancels", o.cancels, "Timed cancels")->check(CLI::PositiveNumber);
  app.add_option("--seconds", o.seconds, "Per throughput row and side")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  try {
    return rpcfit::rpc::run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "runtime_bench: %s\n", e.what());
    return 3;
  }
}
