#include "harness/cli/call_command.h"

#include <CLI/CLI.hpp>
#include <iostream>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <ostream>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "captures/pcap_writer.h"
#include "drivers/runtime/client.h"
#include "drivers/runtime/test_interface.h"
#include "harness/cli/call_capture.h"
#include "harness/cli/capture_dump.h"

namespace rpcfit::cli {
namespace {

using nlohmann::json;

// A server reassembles at most this much (wire::CallLimits); more is surely a typo.
constexpr std::size_t kMaxInput = 16u << 20;
// Output bytes shown in the text report; --json carries them all.
constexpr std::size_t kTextOutputBytes = 64;

// The options, checked and parsed.
struct Plan {
  wire::SyntaxId iface;
  Bytes input;
  std::uint32_t access = rpc::access::kThreadAllAccess;
};

struct CancelReport {
  bool sent = false;  // false: the call ended before the delay ran out
  RpcStatus status = status::kOk;
  Duration at{};  // since the call started, just before the cancel API was called
};

struct CallReport {
  bool returned = false;
  Bytes output;
  RpcStatus raised = status::kOk;
  std::string detail;
  std::optional<std::string> internal_error;  // something other than an RpcException
  Duration elapsed{};
  std::optional<CancelReport> cancel;
  Timestamp start{};  // wall time of the call's start: the origin of PDU offsets
  std::vector<captures::ReadPdu> pdus;
};

std::optional<std::uint32_t> parse_u32(std::string_view text, int base) {
  std::uint32_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
  if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

std::string compact_hex(ByteView data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (const std::uint8_t b : data) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

double to_ms(Duration d) {
  return std::round(static_cast<double>(d.count()) / 1e3) / 1e3;
}

std::string ms_text(Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", static_cast<double>(d.count()) / 1e6);
  return buf;
}

std::string version_text(std::uint32_t version) {
  return std::to_string(version & 0xFFFFu) + "." + std::to_string(version >> 16);
}

// "RPC_S_CALL_CANCELLED (1818)", or the bare value when it has no name.
std::string status_with_value(RpcStatus s) {
  const auto name = rpc_status_name(s);
  return name ? std::string(*name) + " (" + std::to_string(s) + ")" : std::to_string(s);
}

json status_json(RpcStatus s) {
  const auto name = rpc_status_name(s);
  return name ? json(std::string(*name)) : json(s);
}

// The exception's text without the status name it starts with.
std::string detail_of(const rpc::RpcException& e) {
  std::string what = e.what();
  const std::string prefix = rpc::status_text(e.status());
  if (what.rfind(prefix, 0) == 0) what.erase(0, prefix.size());
  if (what.rfind(": ", 0) == 0) what.erase(0, 2);
  return what;
}

std::optional<Plan> make_plan(const CallOptions& o, std::ostream& err) {
  auto usage = [&err](const std::string& message) -> std::optional<Plan> {
    err << "rpcfit: call: " << message << '\n';
    return std::nullopt;
  };
  if ((o.cancel_timeout || o.cancel_thread) && !o.cancel_after_ms) {
    return usage("--cancel-timeout and --cancel-thread need --cancel-after");
  }
  if (o.cancel_timeout && o.cancel_thread) {
    return usage("--cancel-timeout and --cancel-thread exclude each other");
  }
  // Windows' LONG is 32 bits: RpcCancelThreadEx never sees a timeout outside that range.
  constexpr long kLongMax = std::numeric_limits<std::int32_t>::max();
  constexpr long kLongMin = std::numeric_limits<std::int32_t>::min();
  if (o.cancel_after_ms && (*o.cancel_after_ms < 0 || *o.cancel_after_ms > kLongMax)) {
    return usage("--cancel-after must be 0.." + std::to_string(kLongMax));
  }
  if (o.cancel_timeout && (*o.cancel_timeout < kLongMin || *o.cancel_timeout > kLongMax)) {
    return usage("--cancel-timeout must be a 32-bit LONG, as on Windows");
  }
  if (o.in_hex && o.in_bytes) return usage("--in-hex and --in-bytes exclude each other");
  Plan plan;
  plan.iface = rpc::test_interface_id();
  if (!o.interface.empty()) {
    auto iface = parse_interface(o.interface);
    if (!iface) return usage("--if: expected UUID or UUID:MAJOR.MINOR, got '" + o.interface + "'");
    plan.iface = *iface;
  }
  if (o.in_hex && !from_hex(*o.in_hex, plan.input)) {
    return usage("--in-hex: expected an even number of hex digits (spaces allowed), got '" +
                 *o.in_hex + "'");
  }
  if (o.in_bytes) {
    if (*o.in_bytes > kMaxInput) return usage("--in-bytes: at most " + std::to_string(kMaxInput));
    plan.input = counting_bytes(*o.in_bytes);
  }
  auto access = parse_access(o.access);
  if (!access) {
    return usage("--access: expected a 32-bit decimal or 0x hex mask: '" + o.access + "'");
  }
  plan.access = *access;
  return plan;
}

// Makes the call on its own thread and, with --cancel-after, cancels it from this one.
CallReport run_call(rpc::Runtime& runtime, rpc::Binding& binding, const Plan& plan,
                    const CallOptions& o) {
  Clock& clock = runtime.clock();
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  CallReport report;
  std::promise<std::pair<rpc::ThreadId, Duration>> started;
  auto started_future = started.get_future();
  std::thread caller([&] {
    const rpc::ThreadId id = runtime.GetCurrentThreadId();
    const Duration t0 = clock.now();
    started.set_value({id, t0});
    try {
      report.output = binding.call(plan.iface, o.opnum, plan.input);
      report.returned = true;
    } catch (const rpc::RpcException& e) {
      report.raised = e.status();
      report.detail = detail_of(e);
    } catch (const std::exception& e) {
      report.internal_error = e.what();
    }
    report.elapsed = clock.now() - t0;
    std::lock_guard lock(mu);
    done = true;
    cv.notify_all();
  });
  const auto [thread_id, t0] = started_future.get();
  report.start = clock.wall(t0);
  if (o.cancel_after_ms) {
    CancelReport cancel;
    std::unique_lock lock(mu);
    const auto when = clock.to_steady(t0 + std::chrono::milliseconds(*o.cancel_after_ms));
    const bool ended = cv.wait_until(lock, when, [&done] { return done; });
    lock.unlock();
    if (!ended) {
      const rpc::ThreadHandle handle = runtime.OpenThread(plan.access, thread_id);
      cancel.sent = true;
      cancel.at = clock.now() - t0;
      cancel.status = o.cancel_thread
                          ? runtime.RpcCancelThread(handle)
                          : runtime.RpcCancelThreadEx(
                                handle, o.cancel_timeout.value_or(kCancelInfiniteTimeout));
      runtime.CloseHandle(handle);
    }
    report.cancel = cancel;
  }
  caller.join();
  return report;
}

const char* cancel_api(const CallOptions& o) {
  return o.cancel_thread ? "RpcCancelThread" : "RpcCancelThreadEx";
}

void print_text(const CallOptions& o, const Plan& plan, const CallReport& r, std::ostream& out) {
  out << "target: " << o.binding << " interface " << plan.iface.uuid.to_string() << " v"
      << version_text(plan.iface.version) << " opnum " << o.opnum << ", " << plan.input.size()
      << " bytes in\n";
  if (r.cancel) {
    if (!r.cancel->sent) {
      out << "cancel: not sent: the call ended before " << *o.cancel_after_ms << " ms\n";
    } else {
      out << "cancel: " << rpc::status_text(r.cancel->status) << " at " << ms_text(r.cancel->at)
          << " (" << cancel_api(o);
      if (!o.cancel_thread) out << ", timeout " << o.cancel_timeout.value_or(-1);
      char mask[16];
      std::snprintf(mask, sizeof mask, "0x%x", plan.access);
      out << ", access " << mask << ")\n";
    }
  }
  if (r.returned) {
    out << "call: returned " << r.output.size() << " bytes";
    if (!r.output.empty()) {
      const std::size_t shown = std::min(r.output.size(), kTextOutputBytes);
      out << ": " << compact_hex(ByteView(r.output).first(shown));
      if (shown < r.output.size()) out << " ...";
    }
    out << '\n';
  } else {
    out << "call: raised " << status_with_value(r.raised);
    if (!r.detail.empty()) out << ": " << r.detail;
    out << '\n';
  }
  out << "elapsed: " << ms_text(r.elapsed) << '\n';
  for (const captures::ReadPdu& pdu : r.pdus) {
    char at[32];
    std::snprintf(at, sizeof at, "%10.1f ms",
                  static_cast<double>((pdu.time - r.start).count()) / 1e6);
    out << at << "  " << (pdu.direction == captures::Direction::to_server ? "->" : "<-") << "  "
        << pdu_text(pdu) << '\n';
  }
}

void print_json(const CallOptions& o, const Plan& plan, const CallReport& r, std::ostream& out) {
  json j;
  j["binding"] = o.binding;
  j["interface"] = plan.iface.uuid.to_string();
  j["version"] = version_text(plan.iface.version);
  j["opnum"] = o.opnum;
  j["input_length"] = plan.input.size();
  j["cancel"] = nullptr;
  if (r.cancel) {
    json c;
    c["after_ms"] = *o.cancel_after_ms;
    c["api"] = cancel_api(o);
    c["timeout"] = o.cancel_thread ? json(nullptr) : json(o.cancel_timeout.value_or(-1));
    c["access"] = plan.access;
    c["sent"] = r.cancel->sent;
    c["status"] = r.cancel->sent ? status_json(r.cancel->status) : json(nullptr);
    c["value"] = r.cancel->sent ? json(r.cancel->status) : json(nullptr);
    c["at_ms"] = r.cancel->sent ? json(to_ms(r.cancel->at)) : json(nullptr);
    j["cancel"] = c;
  }
  json outcome;
  outcome["returned"] = r.returned;
  if (r.returned) {
    outcome["status"] = status_json(status::kOk);
    outcome["output_length"] = r.output.size();
    outcome["output_hex"] = compact_hex(r.output);
  } else {
    outcome["status"] = status_json(r.raised);
    outcome["value"] = r.raised;
    outcome["detail"] = r.detail;
  }
  j["outcome"] = outcome;
  j["elapsed_ms"] = to_ms(r.elapsed);
  if (!o.capture.empty()) j["capture"] = o.capture;
  json pdus = json::array();
  for (const captures::ReadPdu& pdu : r.pdus) {
    json p = pdu_json(pdu, r.start);
    p.erase("frame");  // there are no frames: the PDUs come straight from the runtime
    p["at_ms"] = to_ms(pdu.time - r.start);
    p["dir"] = pdu.direction == captures::Direction::to_server ? "out" : "in";
    pdus.push_back(std::move(p));
  }
  j["pdus"] = std::move(pdus);
  out << j.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
}

}  // namespace

std::optional<wire::SyntaxId> parse_interface(const std::string& text) {
  const auto colon = text.find(':');
  const auto uuid = wire::Uuid::parse(text.substr(0, colon));
  if (!uuid) return std::nullopt;
  if (colon == std::string::npos) return wire::SyntaxId{*uuid, 1};
  const std::string_view version = std::string_view(text).substr(colon + 1);
  const auto dot = version.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const auto major = parse_u32(version.substr(0, dot), 10);
  const auto minor = parse_u32(version.substr(dot + 1), 10);
  if (!major || !minor || *major > 0xFFFF || *minor > 0xFFFF) return std::nullopt;
  return wire::SyntaxId{*uuid, *major | (*minor << 16)};
}

std::optional<std::uint32_t> parse_access(const std::string& text) {
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    return parse_u32(std::string_view(text).substr(2), 16);
  }
  return parse_u32(text, 10);
}

int call_command(const CallOptions& o, std::ostream& out, std::ostream& err) {
  const auto plan = make_plan(o, err);
  if (!plan) return 2;

  // Declared in this order so that the runtime outlives the binding and the sinks outlive both.
  PduRecorder recorder;
  TeeSink tee;
  tee.add(&recorder);
  RealClock clock;
  rpc::RuntimeOptions runtime_options;
  runtime_options.clock = &clock;
  runtime_options.capture = &tee;
  runtime_options.run_dir = o.run_dir;
  rpc::Runtime runtime(runtime_options);
  auto made = rpc::Binding::from_string(runtime, o.binding);
  if (!made) {
    err << "rpcfit: call: " << o.binding << ": " << status_with_value(made.error()) << '\n';
    return 2;
  }
  std::unique_ptr<captures::PcapWriter> writer;
  if (!o.capture.empty()) {
    auto opened = captures::PcapWriter::open(o.capture);
    if (!opened) {
      err << "rpcfit: call: cannot write the capture: " << opened.error().to_string() << '\n';
      return 2;
    }
    writer = std::move(*opened);
    tee.add(writer.get());
  }

  std::shared_ptr<rpc::Binding> binding = std::move(*made);
  CallReport report = run_call(runtime, *binding, *plan, o);
  binding.reset();  // closes the connection kept for reuse, so that the capture shows its end
  report.pdus = recorder.pdus();
  std::optional<std::string> capture_error;
  if (writer) {
    auto closed = writer->close();
    if (!closed) capture_error = closed.error().to_string();
  }
  if (report.internal_error) {
    err << "rpcfit: call: internal error: " << *report.internal_error << '\n';
    return 2;
  }
  if (o.json) {
    print_json(o, *plan, report, out);
  } else {
    print_text(o, *plan, report, out);
  }
  out.flush();
  if (capture_error) {
    err << "rpcfit: call: cannot write the capture: " << *capture_error << '\n';
    return 2;
  }
  return report.returned ? 0 : 1;
}

Command add_call_command(CLI::App& rpcfit) {
  auto o = std::make_shared<CallOptions>();
  CLI::App* call = rpcfit.add_subcommand(
      "call", "Make one call, optionally cancel it from another thread, and show the PDUs");
  call->add_option("BINDING", o->binding,
                   "String binding, e.g. ncacn_ip_tcp:127.0.0.1[49731] or ncalrpc:[name]")
      ->required();
  call->add_option("--if", o->interface,
                   "Interface UUID[:MAJOR.MINOR] (default: rpcfit's test interface, v1.0)");
  call->add_option("--opnum", o->opnum, "Operation number")->required();
  auto* in_hex = call->add_option("--in-hex", o->in_hex, "Stub input as hex digits");
  call->add_option("--in-bytes", o->in_bytes, "Stub input of N bytes 00 01 .. ff 00 ..")
      ->excludes(in_hex);
  auto* cancel_after = call->add_option(
      "--cancel-after", o->cancel_after_ms,
      "Cancel the call this many milliseconds after it starts (unless it has ended)");
  auto* cancel_timeout = call->add_option(
      "--cancel-timeout", o->cancel_timeout,
      "RpcCancelThreadEx timeout in seconds (default -1: RPC_C_CANCEL_INFINITE_TIMEOUT)");
  cancel_timeout->needs(cancel_after);
  call->add_flag("--cancel-thread", o->cancel_thread,
                 "Cancel with RpcCancelThread (the thread's own timeout) instead")
      ->needs(cancel_after)
      ->excludes(cancel_timeout);
  call->add_option("--access", o->access,
                   "OpenThread access mask for the cancel, decimal or 0x hex (default 0x1FFFFF)");
  call->add_option("--capture", o->capture, "Also write the PDUs to this pcap file");
  call->add_flag("--json", o->json, "Print one JSON object");
  return Command{call, [o] { return call_command(*o, std::cout, std::cerr); }};
}

}  // namespace rpcfit::cli
