// The datagram runtime (ncadg_ip_udp) against raw UDP, in one run; a plain program like
// runtime_bench, printing medians, p90s, ratios and PASS/FAIL against two targets:
//  1. Null-call latency (opnum 0, empty input, Binding::call on a reused activity) within 1.5x of
//     a raw UDP ping-pong carrying the same request and response datagrams (captured from the
//     runtime) between a blocking client socket and a server thread in recvfrom/sendto. Each
//     runtime call's request also acknowledges the previous call's one-datagram response (C706;
//     no ack datagram until the activity closes), and the server runs the routine on the thread
//     that received the request, another thread watching in case it runs long. As in
//     runtime_bench, raw and runtime round trips alternate in blocks, each on new sockets (a new
//     raw server thread, a new activity) that draw the CPU placement again, and are compared by
//     placement.
//  2. Recovery of a lost cl_cancel. A client thread calls opnum 1 (wait up to 60 s for a cancel);
//     once the routine runs, RpcCancelThreadEx(handle, 30), timed in real time until the server's
//     observer sees cancel_arrived. A datagram decorator on one client runtime drops the first
//     cl_cancel of each call, so the client's retransmission timer must send it again after
//     BindingOptions::dg_retransmit; calls with and without the loss alternate. Target: the lossy
//     median within the first retransmission (dg_retransmit, plus 2% for the lateness of a timer
//     wake-up) plus 2x the lossless median; a second retransmission would come at 3x.
// Time runs at --scale real seconds per scenario second (default 0.1: dg_retransmit = 250 ms is
// 25 ms of real time, so the default run takes a few seconds; at --scale 1 each lossy cancel
// costs about 250 ms). Exits 1 when a target is missed, 3 on error (CLI11's code on a bad
// option). tools/bench.sh runs it pinned to one CPU and unpinned, after runtime_bench.
#include <netinet/in.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "drivers/runtime/bench_util.h"
#include "harness/wire/codec.h"

namespace rpcfit::rpc {
namespace {

using namespace bench;  // the helpers shared with runtime_bench (bench_util.h)
using transport::Protseq;
constexpr int kWarmup = 2000;             // untimed round trips before the first timed block
constexpr int kCancelWarmup = 3;          // untimed cancels of each kind first
constexpr std::uint32_t kCallMs = 60000;  // opnum 1 waits this long for a cancel
constexpr long kCancelTimeout = 30;       // seconds, as RpcCancelThreadEx takes it
constexpr std::chrono::milliseconds kGiveUp{10000};  // real time allowed for any step

struct Options {
  std::string pass = "unnamed";
  int iterations = 20000;  // timed round trips per side, after kWarmup untimed ones
  int cancels = 40;        // timed cancels of each kind
  double scale = 0.1;      // real seconds per scenario second
};

[[noreturn]] void give_up(const std::string& what) {  // a call may be stuck for a minute
  std::fprintf(stderr, "dg_bench: %s\n", what.c_str());
  std::fflush(stdout);
  std::_Exit(3);
}

// ---- the raw ping-pong: one client socket connected to its own server socket, served by its
// own thread (recvfrom, then sendto of the response); a new pair per block ----

class RawUdpPair {
 public:
  RawUdpPair(const Bytes& request, const Bytes& response)
      : request_(request), response_(response), in_(response.size() + 1) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    auto* any = reinterpret_cast<sockaddr*>(&address);
    server_ = udp_socket();
    client_ = udp_socket();
    check(::bind(server_, any, length) == 0 && ::getsockname(server_, any, &length) == 0 &&
              ::connect(client_, any, length) == 0,
          "raw UDP sockets");
    const timeval limit{10, 0};  // a lost datagram fails the round trip instead of hanging
    ::setsockopt(client_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    thread_ = std::thread([this] { serve(); });
  }
  ~RawUdpPair() {
    ::send(client_, in_.data(), 0, 0);  // an empty datagram ends the server thread
    thread_.join();
    ::close(client_);
    ::close(server_);
  }
  RawUdpPair(const RawUdpPair&) = delete;
  RawUdpPair& operator=(const RawUdpPair&) = delete;

  void once() {
    const bool sent = ::send(client_, request_.data(), request_.size(), 0) ==
                      static_cast<ssize_t>(request_.size());
    ssize_t got = -1;
    while ((got = ::recv(client_, in_.data(), in_.size(), 0)) < 0 && errno == EINTR) {
    }
    check(sent && got == static_cast<ssize_t>(response_.size()), "raw UDP round trip");
  }

 private:
  static int udp_socket() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    check(fd >= 0, "socket");
    return fd;
  }
  void serve() {
    Bytes in(request_.size() + 1);
    for (;;) {
      sockaddr_storage from{};
      socklen_t length = sizeof from;
      const ssize_t n =
          ::recvfrom(server_, in.data(), in.size(), 0, reinterpret_cast<sockaddr*>(&from), &length);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      g_server_cpu.store(sched_getcpu(), std::memory_order_relaxed);
      ::sendto(server_, response_.data(), response_.size(), 0,
               reinterpret_cast<const sockaddr*>(&from), length);
    }
  }

  const Bytes& request_;
  const Bytes& response_;
  Bytes in_;  // the client's receive buffer
  int server_ = -1, client_ = -1;
  std::thread thread_;
};

// ---- the lost cl_cancel ----

// Drops the first cl_cancel of each call (the first of each sequence number on the socket, as a
// socket belongs to one activity); every other datagram goes through. Counts what it dropped.
class DropFirstCancel final : public DatagramDecorator {
 public:
  DropFirstCancel(std::unique_ptr<DatagramSocket> inner, std::atomic<int>& dropped)
      : DatagramDecorator(std::move(inner)), dropped_(dropped) {}

  IoResult send_to(ByteView datagram, const DatagramPeer& to) override {
    if (datagram.size() > 1 && datagram[1] == static_cast<std::uint8_t>(wire::PType::cl_cancel)) {
      auto pdu = wire::decode_cl(datagram);
      std::lock_guard lock(mu_);
      if (pdu && pdu->seqnum != dropped_seqnum_) {
        dropped_seqnum_ = pdu->seqnum;
        ++dropped_;
        return {};  // lost on the way, as far as the sender can tell
      }
    }
    return inner().send_to(datagram, to);
  }

 private:
  std::atomic<int>& dropped_;
  std::mutex mu_;
  std::optional<std::uint32_t> dropped_seqnum_;
};

// What the server's observer saw of opnum 1 calls; the counters under g_mu.
struct Seen {
  int started = 0;
  int arrived = 0;
  std::atomic<std::int64_t> arrived_ns{0};  // when the latest cancel_arrived was reported
};

ServerOptions observed_by(Seen& seen) {
  ServerOptions options;
  options.observer = [&seen](const ServerEvent& event) {
    if (event.opnum != test_op::kCancellable) return;
    if (event.kind == ServerEventKind::call_started) bump(seen.started);
    if (event.kind == ServerEventKind::cancel_arrived) {
      seen.arrived_ns = now_ns();
      bump(seen.arrived);
    }
  };
  return options;
}

// A client thread of `runtime` that makes one opnum 1 call per cancelled() and expects it to end
// RPC_S_CALL_CANCELLED.
class CancelClient {
 public:
  CancelClient(Runtime& runtime, const std::string& text)
      : runtime_(runtime), binding_(bind_to(runtime, text)) {
    thread_ = std::thread([this] {
      id_ = runtime_.GetCurrentThreadId();
      bump(ready_);
      const Bytes input = milliseconds_input(kCallMs);
      for (int i = 1;; ++i) {
        wait_until(go_, i);
        if (stop_) return;
        try {
          binding_->call(test_interface_id(), test_op::kCancellable, input);
          ++wrong_;
        } catch (const RpcException& e) {
          if (e.status() != status::kCallCancelled) ++wrong_;
        }
        bump(done_);
      }
    });
    wait_until(ready_, 1);
    handle_ = runtime_.OpenThread(access::kThreadAllAccess, id_);
  }
  ~CancelClient() {
    stop_ = true;
    bump(go_);
    thread_.join();
    runtime_.CloseHandle(handle_);
  }
  CancelClient(const CancelClient&) = delete;
  CancelClient& operator=(const CancelClient&) = delete;

  // One call cancelled once its routine runs: real microseconds from RpcCancelThreadEx until the
  // server reported cancel_arrived.
  double cancelled(Seen& seen) {
    const int started = read_counter(seen.started), arrived = read_counter(seen.arrived);
    const int calls = read_counter(go_) + 1;
    bump(go_);
    if (!wait_until_for(seen.started, started + 1, kGiveUp)) give_up("the call did not start");
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // the client waits in poll()
    const std::int64_t posted = now_ns();
    const RpcStatus st = runtime_.RpcCancelThreadEx(handle_, kCancelTimeout);
    if (st != status::kOk) give_up("RpcCancelThreadEx: " + status_text(st));
    if (!wait_until_for(seen.arrived, arrived + 1, kGiveUp)) give_up("no cancel_arrived");
    const auto us = static_cast<double>(seen.arrived_ns.load() - posted) / 1e3;
    if (!wait_until_for(done_, calls, kGiveUp)) give_up("the cancelled call did not return");
    return us;
  }
  int wrong() const { return wrong_.load(); }

 private:
  Runtime& runtime_;
  std::shared_ptr<Binding> binding_;
  std::thread thread_;
  ThreadId id_ = 0;  // set before ready_
  ThreadHandle handle_ = 0;
  int ready_ = 0, go_ = 0, done_ = 0;  // under g_mu
  std::atomic<bool> stop_{false};
  std::atomic<int> wrong_{0};  // calls that did not end RPC_S_CALL_CANCELLED
};

void cancel_recovery(const Options& o, Runtime& lossless_runtime, Runtime& lossy_runtime,
                     const std::string& text, Seen& seen, const std::atomic<int>& dropped) {
  const std::chrono::duration<double, std::milli> retransmit = BindingOptions{}.dg_retransmit;
  const double retransmit_us = retransmit.count() * 1e3 * o.scale;  // in real time
  std::printf(
      "\nlost cl_cancel: RpcCancelThreadEx(h, %ld) -> server's cancel_arrived, opnum 1; %d of "
      "each kind after %d untimed, alternating\n",
      kCancelTimeout, o.cancels, kCancelWarmup);
  std::vector<double> clean, lost;
  int arrived = read_counter(seen.arrived), wrong = 0;
  {
    CancelClient lossless(lossless_runtime, text), lossy(lossy_runtime, text);
    for (int i = 0; i < kCancelWarmup + o.cancels; ++i) {
      const double a = lossless.cancelled(seen), b = lossy.cancelled(seen);
      if (i < kCancelWarmup) continue;
      clean.push_back(a);
      lost.push_back(b);
    }
    wrong = lossless.wrong() + lossy.wrong();
  }
  const int calls = 2 * (kCancelWarmup + o.cancels);
  arrived = read_counter(seen.arrived) - arrived;
  if (wrong > 0) throw std::runtime_error("a cancelled call did not end RPC_S_CALL_CANCELLED");
  if (dropped.load() != calls / 2 || arrived != calls) {
    throw std::runtime_error("expected one cl_cancel dropped per lossy call (" +
                             std::to_string(dropped.load()) + " of " + std::to_string(calls / 2) +
                             ") and one cancel_arrived per call (" + std::to_string(arrived) +
                             " of " + std::to_string(calls) + ")");
  }
  const Stats c = stats_of(clean), l = stats_of(lost);
  const double bound = retransmit_us * 1.02 + 2 * c.median;
  std::printf("%-30s %9s %9s %9s %8s %s\n", "cancel delivery", "median", "p90", "/retrans",
              "target", "result");
  std::printf("  lossless                     %9.2f %9.2f\n", c.median, c.p90);
  std::printf("  first cl_cancel dropped      %9.2f %9.2f %8.3fx %8.0f %s\n", l.median, l.p90,
              l.median / retransmit_us, bound, verdict(l.median <= bound));
  std::printf("  recovery = lossy - lossless  %9.2f %9.2f %8.3fx\n", l.median - c.median,
              l.p90 - c.p90, (l.median - c.median) / retransmit_us);
  std::printf(
      "  expected recovery: dg_retransmit %.0f ms scenario x scale %g = %.0f us real, plus the\n"
      "    timer's overshoot (this thread's timer slack: %.0f us); target 1.02 x dg_retransmit\n"
      "    + 2 x lossless median = %.0f us\n",
      retransmit.count(), o.scale, retransmit_us,
      static_cast<double>(::prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0)) / 1e3, bound);
}

int run(const Options& o) {
  const TempDir temp;
  std::printf(
      "== dg_bench, pass %s: %d CPU(s) allowed; %d round trips after %d warm-up, %d cancels of "
      "each kind; clock scale %g; times in us ==\n",
      o.pass.c_str(), allowed_cpus(), o.iterations, kWarmup, o.cancels, o.scale);
  RealClock clock(o.scale);
  Seen seen;
  Runtime server_runtime(runtime_options(temp.path(), &clock));
  Server server(server_runtime, observed_by(seen));
  InterfaceRegistration registration = test_interface();
  record_server_cpu(registration);
  server.register_interface(registration);
  const std::string text = listen_on(server, Protseq::ncadg_ip_udp);

  Runtime client(runtime_options(temp.path(), &clock));
  std::atomic<int> dropped{0};
  RuntimeOptions lossy_options = runtime_options(temp.path(), &clock);
  lossy_options.datagram_decorator = [&dropped](std::unique_ptr<DatagramSocket> inner) {
    return std::unique_ptr<DatagramSocket>(
        std::make_unique<DropFirstCancel>(std::move(inner), dropped));
  };
  Runtime lossy(lossy_options);

  const NullCallPdus pdus = null_call_pdus(temp.path(), Protseq::ncadg_ip_udp);
  const Opener raw_open = [&] {
    return Once(
        [pair = std::make_shared<RawUdpPair>(pdus.request, pdus.response)] { pair->once(); });
  };
  const Opener rpc_open = [&, iface = test_interface_id()] {  // as a stub's static id
    return Once(
        [binding = bind_to(client, text), iface] { binding->call(iface, test_op::kEcho, {}); });
  };
  const auto [raw_rtt, rpc_rtt] = interleaved(o.iterations, kWarmup, raw_open, rpc_open);
  std::printf(
      "\nncadg_ip_udp: request %zu B, response %zu B; each request acknowledges the previous "
      "response (the %zu B ack goes when the activity closes)\n",
      pdus.request.size(), pdus.response.size(), pdus.ack.size());
  std::printf("%-30s %9s %9s %6s %8s %9s %8s %s\n", "round trip", "median", "p90", "share", "ratio",
              "p90 ratio", "target", "result");
  print_null_call_rows(raw_rtt, rpc_rtt,
                       static_cast<std::size_t>(std::max(100, o.iterations / 20)));
  std::fflush(stdout);

  cancel_recovery(o, client, lossy, text, seen, dropped);
  const int status = summary(o.pass);
  server.stop(seconds(5));
  return status;
}

}  // namespace
}  // namespace rpcfit::rpc

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  rpcfit::rpc::Options o;
  CLI::App app{
      "rpcfit datagram benchmark: ncadg_ip_udp null calls against raw UDP, and the recovery of a "
      "lost cl_cancel"};
  app.add_option("--pass", o.pass, "Name of this pass in the report");
  app.add_option("--iterations", o.iterations, "Timed null-call round trips per side")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--cancels", o.cancels, "Timed cancels with and without the lost cl_cancel")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--scale", o.scale,
                 "Real seconds per scenario second: at 0.1 dg_retransmit (250 ms) is 25 ms of real "
                 "time and a default run takes a few seconds; at 1 each lossy cancel costs 250 ms")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return rpcfit::rpc::bench::guarded("dg_bench", [&] { return rpcfit::rpc::run(o); });
}
