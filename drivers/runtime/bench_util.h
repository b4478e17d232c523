// Shared by the runtime benchmarks (runtime_bench.cc, dg_bench.cc): timing of round trips in
// alternating blocks, sorted by CPU placement; counters to wait on; the PDUs of one null call as
// the runtime sends them; PASS/FAIL verdicts and the closing summary. Header-only: each benchmark
// is its own program.
#pragma once

#include <sched.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "drivers/runtime/client.h"
#include "drivers/runtime/server.h"
#include "drivers/runtime/test_interface.h"

namespace rpcfit::rpc::bench {

using Steady = std::chrono::steady_clock;
using Once = std::function<void()>;    // one round trip on some connection
using Opener = std::function<Once()>;  // opens a connection; its Once keeps it open
inline constexpr int kBlock = 500;     // round trips per alternating block
inline constexpr const char* kWhere[] = {"same CPU", "cross CPU"};  // placements, as in Samples

// The CPU the serving thread (raw server thread or echo routine) ran on for the last request.
inline std::atomic<int> g_server_cpu{-1};

inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now().time_since_epoch())
      .count();
}

inline void check(bool ok, const std::string& what) {
  if (!ok) throw std::system_error(errno, std::generic_category(), what);
}

// Counters to wait on, under one lock. The waits block in the kernel at once (std::atomic::wait
// spins and yields first, which would put the waiter between the threads under test).
inline std::mutex g_mu;
inline std::condition_variable g_cv;

inline void bump(int& counter) {
  std::lock_guard lock(g_mu);
  ++counter;
  g_cv.notify_all();
}

inline void wait_until(const int& counter, int at) {
  std::unique_lock lock(g_mu);
  g_cv.wait(lock, [&] { return counter >= at; });
}

// As wait_until, giving up after `limit`; false then.
inline bool wait_until_for(const int& counter, int at, std::chrono::milliseconds limit) {
  std::unique_lock lock(g_mu);
  return g_cv.wait_for(lock, limit, [&] { return counter >= at; });
}

inline int read_counter(const int& counter) {
  std::lock_guard lock(g_mu);
  return counter;
}

// Round-trip times in microseconds by placement: [0] server on the client's CPU, [1] on another.
using Samples = std::array<std::vector<double>, 2>;

struct Stats {
  double median = std::nan(""), p90 = std::nan("");
  double share = 0;  // of all samples of the row
  std::size_t n = 0;
};

inline Stats stats_of(std::vector<double> v) {  // share 1: the row is all there is
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v[v.size() * 9 / 10], 1.0, v.size()};
}

inline Stats stats_of(std::vector<double> v, const Samples& all) {
  Stats s = stats_of(std::move(v));
  const std::size_t total = all[0].size() + all[1].size();
  if (s.n > 0) s.share = static_cast<double>(s.n) / static_cast<double>(total);
  return s;
}

inline void time_block(int n, const Once& once, Samples* s) {  // untimed without `s`
  for (int i = 0; i < n; ++i) {
    const auto start = Steady::now();
    once();
    const double us = std::chrono::duration<double, std::micro>(Steady::now() - start).count();
    if (s) (*s)[sched_getcpu() != g_server_cpu.load(std::memory_order_relaxed)].push_back(us);
  }
}

// `iterations` timed round trips of each side, in blocks of kBlock that alternate raw and
// runtime, each block on a new connection after untimed ones (`warmup` before the first block).
inline std::pair<Samples, Samples> interleaved(int iterations, int warmup, const Opener& raw,
                                               const Opener& rpc) {
  std::pair<Samples, Samples> out;
  for (int done = 0; done < iterations; done += kBlock) {
    for (auto [open, samples] : {std::pair{&raw, &out.first}, std::pair{&rpc, &out.second}}) {
      const Once once = (*open)();
      time_block(done == 0 ? warmup : 50, once, nullptr);
      time_block(std::min(kBlock, iterations - done), once, samples);
    }
  }
  return out;
}

inline int g_missed = 0;

inline const char* verdict(bool pass) {
  if (!pass) ++g_missed;
  return pass ? "PASS" : "FAIL";
}

// The rows of a raw-ping-pong-vs-null-call table, by placement: each null call is judged against
// 1.5x the raw median when both sides have at least `enough` samples there.
inline void print_null_call_rows(const Samples& raw_rtt, const Samples& rpc_rtt,
                                 std::size_t enough) {
  for (std::size_t c = 0; c < 2; ++c) {
    const Stats r = stats_of(raw_rtt[c], raw_rtt), p = stats_of(rpc_rtt[c], rpc_rtt);
    if (r.n + p.n == 0) continue;
    std::printf("  raw ping-pong, %-9s     %9.2f %9.2f %5.0f%%\n", kWhere[c], r.median, r.p90,
                100 * r.share);
    std::printf("  null call, %-9s         %9.2f %9.2f %5.0f%% %7.2fx %8.2fx %8s %s\n", kWhere[c],
                p.median, p.p90, 100 * p.share, p.median / r.median, p.p90 / r.p90, "<=1.50x",
                r.n < enough || p.n < enough ? "SKIP (too few to compare)"
                                             : verdict(p.median <= 1.5 * r.median));
  }
}

// The closing line of a pass; the exit status: 0 when every judged target was met, else 1.
inline int summary(const std::string& pass) {
  std::printf("\npass %s: %s\n", pass.c_str(),
              g_missed == 0 ? "all judged targets met"
                            : (std::to_string(g_missed) + " target(s) missed").c_str());
  return g_missed == 0 ? 0 : 1;
}

// Runs a benchmark's body: its status, or 3 (with the reason on stderr) when it throws.
template <typename Body>
int guarded(const char* name, Body body) {
  try {
    return body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    return 3;
  }
}

inline int allowed_cpus() {
  cpu_set_t cpus;
  check(sched_getaffinity(0, sizeof cpus, &cpus) == 0, "sched_getaffinity");
  return CPU_COUNT(&cpus);
}

// A fresh private directory (Unix sockets of the run), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "rpcfit-bench-XXXXXX").string();
    check(::mkdtemp(pattern.data()) != nullptr, "mkdtemp");
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// ---- the runtime ----

// Has the test interface's echo routine record its CPU in g_server_cpu, then echo.
inline void record_server_cpu(InterfaceRegistration& registration) {
  registration.routines[test_op::kEcho] = [echo = registration.routines[test_op::kEcho]](
                                              ServerCall& call, ByteView input) {
    g_server_cpu.store(sched_getcpu(), std::memory_order_relaxed);  // then the real echo
    return echo(call, input);
  };
}

// Keeps the first request, response and ack PDU a runtime sends or receives (CO or CL).
struct FirstPdus : CaptureSink {
  void connection_opened(Timestamp, const Endpoint&, const Endpoint&) override {}
  void connection_closed(Timestamp, const Endpoint&, const Endpoint&) override {}
  void pdu(const CapturedPdu& pdu) override {
    std::lock_guard lock(mu);
    // PTYPE follows RPC_VERS: byte 1 in a CL header (version 4), byte 2 in a CO one (5, minor).
    const std::size_t at = !pdu.bytes.empty() && pdu.bytes[0] == 4 ? 1 : 2;
    const auto type = static_cast<wire::PType>(pdu.bytes.size() > at ? pdu.bytes[at] : 0xff);
    if (type == wire::PType::request && request.empty()) request = pdu.bytes;
    if (type == wire::PType::response && response.empty()) response = pdu.bytes;
    if (type == wire::PType::ack && ack.empty()) ack = pdu.bytes;
  }
  std::mutex mu;
  Bytes request, response, ack;
};

// Options with a run directory, a clock (null: the real one at scale 1) and a capture sink.
inline RuntimeOptions runtime_options(const std::filesystem::path& run_dir, Clock* clock = nullptr,
                                      CaptureSink* capture = nullptr) {
  RuntimeOptions options;
  options.clock = clock;
  options.capture = capture;
  options.run_dir = run_dir;
  return options;
}

inline std::string listen_on(Server& server, transport::Protseq protseq) {
  auto endpoint = server.listen(protseq);
  if (!endpoint) throw std::runtime_error("listen: " + endpoint.error());
  return local_binding(protseq, *endpoint);
}

inline std::shared_ptr<Binding> bind_to(Runtime& runtime, const std::string& text) {
  auto binding = Binding::from_string(runtime, text);
  if (!binding) throw std::runtime_error(text + ": " + status_text(binding.error()));
  return *binding;
}

// The PDUs of one null call, as the runtime puts them on the wire (ack: datagram calls only).
struct NullCallPdus {
  Bytes request, response, ack;
};

inline NullCallPdus null_call_pdus(const std::filesystem::path& run_dir,
                                   transport::Protseq protseq) {
  FirstPdus capture;
  Runtime runtime(runtime_options(run_dir, nullptr, &capture));
  Server server(runtime);
  server.register_interface(test_interface());
  bind_to(runtime, listen_on(server, protseq))->call(test_interface_id(), test_op::kEcho, {});
  server.stop(seconds(5));  // no thread tees any more
  return {capture.request, capture.response, capture.ack};
}

}  // namespace rpcfit::rpc::bench
