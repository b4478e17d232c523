// Null-call latency, calls per second and cancel latency of the runtime, each against raw sockets
// carrying the same bytes in the same run; a plain program (no Google Benchmark runner) printing
// medians, p90s, ratios and PASS/FAIL against the targets: a null call within 1.5x of the raw
// ping-pong; RpcCancelThreadEx -> RpcTestCancel within 2x the raw one-way latency (half the raw
// TCP round trip) plus the polling period of a routine polling RpcTestCancel in a tight loop.
// Unpinned, the scheduler keeps the two threads of a connection on one CPU or on two (a cross-CPU
// round trip costs several times more). So raw and runtime round trips alternate in blocks, each
// on new connections that draw the placement again, and are compared by placement: like with like.
// Exits 1 when a target is missed, 3 on error (CLI11's code on a bad option). tools/bench.sh
// runs it pinned to one CPU and unpinned.
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
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <latch>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "drivers/runtime/bench_util.h"

namespace rpcfit::rpc {
namespace {

using namespace bench;  // the helpers shared with dg_bench (bench_util.h)
using transport::Protseq;
constexpr std::uint16_t kSpinOp = 3;  // added to the test interface here: polls RpcTestCancel
constexpr std::uint16_t kWaitOp =
    4;  // the same, blocked in ServerCall::wait_for_cancel between polls
constexpr int kCancelWarmup = 100;

struct Options {
  std::string pass = "unnamed";
  int iterations = 20000;  // timed round trips per row, after `warmup` untimed ones
  int warmup = 2000;
  int cancels = 2000;
  double seconds = 1.5;  // per throughput row and side
};

// Calls per second of `threads` threads, each running open()() in a loop for `seconds` after 100
// untimed calls.
double calls_per_second(double seconds, int threads, const Opener& open) {
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> total{0};
  std::latch ready(threads + 1);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      const Once once = open();
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
// on the client, TCP_NODELAY; one server thread per connection, started by an accept thread, as
// the runtime's are ----

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

class RawServer {
 public:
  // TCP on 127.0.0.1 (any port) when `path` is empty, else a Unix stream socket at `path`.
  RawServer(const std::filesystem::path& path, Bytes request, Bytes response)
      : request_(std::move(request)), response_(std::move(response)) {
    if (path.empty()) {
      auto* in = reinterpret_cast<sockaddr_in*>(&address_);
      in->sin_family = AF_INET;
      in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      length_ = sizeof(sockaddr_in);
    } else {
      auto* un = reinterpret_cast<sockaddr_un*>(&address_);
      un->sun_family = AF_UNIX;
      check(path.native().size() < sizeof un->sun_path, "socket path too long");
      path.native().copy(un->sun_path, sizeof un->sun_path - 1);
      length_ = sizeof(sockaddr_un);
    }
    listen_fd_ = socket();
    check(::bind(listen_fd_, address(), length_) == 0 && ::listen(listen_fd_, 64) == 0 &&
              ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address_), &length_) == 0,
          "raw listen");
    acceptor_ = std::thread([this] {
      for (int fd;
           (fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC)) >= 0 || errno == EINTR;) {
        if (fd < 0) continue;
        if (stopping_) {
          ::close(fd);
          return;
        }
        nodelay(fd);
        threads_.emplace_back([this, fd] {
          Bytes in(request_.size()), out = response_;
          while (transfer(fd, in, false)) {
            g_server_cpu.store(sched_getcpu(), std::memory_order_relaxed);
            if (!transfer(fd, out, true)) break;
          }
          ::close(fd);
        });
      }
    });
  }
  ~RawServer() {  // every client connection must be closed by now
    stopping_ = true;
    const int wake = ::socket(address_.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (wake >= 0 && ::connect(wake, address(), length_) != 0) ::shutdown(listen_fd_, SHUT_RDWR);
    if (wake >= 0) ::close(wake);  // accept() returns and sees stopping_
    acceptor_.join();
    ::close(listen_fd_);
    for (auto& t : threads_)
      t.join();
  }
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  Once client() const {
    auto fd = std::shared_ptr<int>(new int(connect()), [](const int* p) {
      ::close(*p);
      delete p;
    });
    auto request = std::make_shared<Bytes>(request_);
    auto response = std::make_shared<Bytes>(response_.size());
    return [fd, request, response] {
      check(transfer(*fd, *request, true) && transfer(*fd, *response, false), "raw round trip");
    };
  }

 private:
  const sockaddr* address() const { return reinterpret_cast<const sockaddr*>(&address_); }
  int socket() const {
    const int fd = ::socket(address_.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(fd >= 0, "socket");
    return fd;
  }
  int connect() const {
    const int fd = socket();
    check(::connect(fd, address(), length_) == 0, "raw connect");
    nodelay(fd);
    return fd;
  }
  void nodelay(int fd) const {
    const int one = 1;
    if (address_.ss_family == AF_INET) ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }

  const Bytes request_, response_;
  sockaddr_storage address_{};
  socklen_t length_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::vector<std::thread> threads_;  // accept thread only, until joined
};

// ---- the runtime ----

// What the kSpinOp routine reports.
struct SpinProbe {
  int started = 0;                       // guarded by g_mu
  std::atomic<std::int64_t> seen_ns{0};  // when RpcTestCancel returned RPC_S_OK
  std::atomic<std::int64_t> polls{0};
  std::atomic<std::int64_t> spin_ns{0};
};

ManagerRoutine spin_routine(SpinProbe& probe) {
  return [&probe](ServerCall& call, ByteView) -> Bytes {
    const std::int64_t begin = now_ns();
    bump(probe.started);
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

// Polls RpcTestCancel, blocking in wait_for_cancel in between: woken by the co_cancel's arrival,
// as a raw reader is by its data, so its polling period is zero.
ManagerRoutine wait_routine(SpinProbe& probe) {
  return [&probe](ServerCall& call, ByteView) -> Bytes {
    bump(probe.started);
    while (RpcTestCancel() != status::kOk) {
      if (!call.wait_for_cancel(seconds(10))) break;
    }
    probe.seen_ns = now_ns();
    RpcRaiseException(status::kCallCancelled);
  };
}

// A client thread makes one kSpinOp call per `go`. For each, this thread waits until the routine
// polls, lets it poll 200 us (the client thread then waits in poll()) and cancels. Every 100
// cancels, with no call in progress, it times raw round trips on a new connection. Cancels are
// compared by placement too: whether the canceller and the call thread (which it wakes) ran on one
// CPU; the routine spins, so the co_cancel needs no wake-up.
void cancel_latency(const Options& o, Runtime& runtime, Binding& binding, SpinProbe& probe,
                    const Opener& raw, std::uint16_t opnum) {
  const int total = kCancelWarmup + o.cancels;
  int started_before = 0;  // the probe serves every run; count this run's calls from here
  {
    std::lock_guard lock(g_mu);
    started_before = probe.started;
  }
  const wire::SyntaxId iface = test_interface_id();
  std::atomic<ThreadId> client_id{0};
  std::atomic<int> wrong{0}, call_cpu{-1};
  int ready = 0, go = 0, done = 0;
  std::thread client([&] {
    client_id = runtime.GetCurrentThreadId();
    bump(ready);
    for (int i = 0; i < total; ++i) {
      wait_until(go, i + 1);
      call_cpu = sched_getcpu();
      try {
        binding.call(iface, opnum, {});
        ++wrong;
      } catch (const RpcException& e) {
        if (e.status() != status::kCallCancelled) ++wrong;
      }
      bump(done);
    }
  });
  wait_until(ready, 1);
  const ThreadHandle handle = runtime.OpenThread(access::kThreadAllAccess, client_id.load());
  Samples latency, raw_rtt, returned;
  const std::int64_t polls_before = probe.polls.load(), spin_before = probe.spin_ns.load();
  for (int i = 0; i < total; ++i) {
    if (i % 100 == 0) {
      const Once once = raw();
      time_block(50, once, nullptr);
      time_block(2 * kBlock, once, &raw_rtt);
    }
    bump(go);
    wait_until(probe.started, started_before + i + 1);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    const bool cross = sched_getcpu() != call_cpu.load();
    const std::int64_t posted = now_ns();
    const RpcStatus st = runtime.RpcCancelThreadEx(handle, kCancelInfiniteTimeout);
    const std::int64_t back = now_ns();
    if (st != status::kOk) {  // the call would spin for 10 s: give up at once
      std::fprintf(stderr, "runtime_bench: RpcCancelThreadEx: %s\n", status_text(st).c_str());
      std::_Exit(3);
    }
    wait_until(done, i + 1);
    const auto us = static_cast<double>(probe.seen_ns.load() - posted) / 1e3;
    if (i >= kCancelWarmup) {
      latency[cross].push_back(us);
      returned[cross].push_back(static_cast<double>(back - posted) / 1e3);
    }
  }
  client.join();
  runtime.CloseHandle(handle);
  if (wrong > 0) throw std::runtime_error("a spin call did not end RPC_S_CALL_CANCELLED");
  const double period = opnum == kWaitOp
                            ? 0.0
                            : static_cast<double>(probe.spin_ns.load() - spin_before) / 1e3 /
                                  static_cast<double>(probe.polls.load() - polls_before);
  for (std::size_t c = 0; c < 2; ++c) {
    const Stats rpc = stats_of(latency[c], latency), rtt = stats_of(raw_rtt[c], raw_rtt);
    if (rpc.n == 0) continue;
    const double one_way = rtt.median / 2, bound = 2 * one_way + period;
    std::printf(
        "  cancel, %-9s            %9.2f %9.2f %5.0f%% %7.2fx %9s %7.2fx %s\n", kWhere[c],
        rpc.median, rpc.p90, 100 * rpc.share, rpc.median / one_way, "", bound / one_way,
        rtt.n < 100 || rpc.n < 100 ? "SKIP (too few to compare)" : verdict(rpc.median <= bound));
    std::printf(
        "  raw round trip, %-9s    %9.2f %9.2f %5.0f%%   (target 2 x %.2f + period = %.2f)\n",
        kWhere[c], rtt.median, rtt.p90, 100 * rtt.share, one_way, bound);
  }
  std::printf("  polling period (%s)  %9.3f\n", opnum == kWaitOp ? "event-driven" : "tight loop",
              period);
  // CS-RET-1: how long RpcCancelThreadEx itself takes (it sends the co_cancel when it can).
  for (std::size_t c = 0; c < 2; ++c) {
    const Stats back = stats_of(returned[c], returned);
    if (back.n == 0) continue;
    std::printf("  RpcCancelThreadEx returns, %-9s %6.2f %9.2f %5.0f%%\n", kWhere[c], back.median,
                back.p90, 100 * back.share);
  }
}

int run(const Options& o) {
  const TempDir temp;
  const std::filesystem::path& dir = temp.path();
  std::printf(
      "== runtime_bench, pass %s: %d CPU(s) allowed; %d round trips after %d warm-up, "
      "%d cancels; times in us ==\n",
      o.pass.c_str(), allowed_cpus(), o.iterations, o.warmup, o.cancels);
  SpinProbe probe;
  Runtime runtime(runtime_options(dir));
  Server server(runtime);
  InterfaceRegistration registration = test_interface();
  registration.routines[kSpinOp] = spin_routine(probe);
  registration.routines[kWaitOp] = wait_routine(probe);
  record_server_cpu(registration);
  server.register_interface(registration);

  const char* columns = "%-30s %9s %9s %6s %8s %9s %8s %s\n";
  for (const Protseq protseq : {Protseq::ncacn_ip_tcp, Protseq::ncalrpc}) {
    const bool tcp = protseq == Protseq::ncacn_ip_tcp;
    const NullCallPdus pdus = null_call_pdus(dir, protseq);
    RawServer raw(tcp ? std::filesystem::path() : dir / "raw.sock", pdus.request, pdus.response);
    const std::string text = listen_on(server, protseq);
    const Opener raw_open = [&] { return raw.client(); };
    const Opener rpc_open = [&, iface = test_interface_id()] {  // as a stub's static id
      return Once(
          [binding = bind_to(runtime, text), iface] { binding->call(iface, test_op::kEcho, {}); });
    };
    const auto [raw_rtt, rpc_rtt] = interleaved(o.iterations, o.warmup, raw_open, rpc_open);
    std::printf("\n%s: request %zu B, response %zu B\n", transport::protseq_name(protseq).data(),
                pdus.request.size(), pdus.response.size());
    std::printf(columns, "round trip", "median", "p90", "share", "ratio", "p90 ratio", "target",
                "result");
    print_null_call_rows(raw_rtt, rpc_rtt,
                         static_cast<std::size_t>(std::max(100, o.iterations / 20)));
    std::printf("%-30s %9s %9s %6s %8s\n", "calls per second", "runtime", "raw", "", "ratio");
    for (int threads : {1, 16}) {
      const Once shared = rpc_open();  // 16 threads share one Binding
      const double rpc_rate = calls_per_second(o.seconds, threads, [&] { return shared; });
      const double raw_rate = calls_per_second(o.seconds, threads, raw_open);
      std::printf("  %2d client thread%s            %9.0f %9.0f %6s %7.2fx\n", threads,
                  threads == 1 ? " " : "s", rpc_rate, raw_rate, "", rpc_rate / raw_rate);
    }
    if (!tcp) continue;  // ncalrpc calls cannot be cancelled (CS-PS-1)
    for (auto opnum : {kWaitOp, kSpinOp}) {
      std::printf("%s\n", opnum == kWaitOp ? "cancel delivery, routine waiting in wait_for_cancel:"
                                           : "cancel delivery, routine polling in a tight loop:");
      std::printf(columns, "RpcCancelThreadEx->TestCancel", "median", "p90", "share", "/one-way",
                  "", "target", "result");
      cancel_latency(o, runtime, *bind_to(runtime, text), probe, raw_open, opnum);
    }
    std::fflush(stdout);
  }
  const int status = summary(o.pass);
  server.stop(seconds(5));
  return status;
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
  return rpcfit::rpc::bench::guarded("runtime_bench", [&] { return rpcfit::rpc::run(o); });
}
