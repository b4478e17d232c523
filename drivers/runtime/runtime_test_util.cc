#include "drivers/runtime/runtime_test_util.h"

#include <cstdlib>
#include <filesystem>

#include "harness/wire/codec.h"

namespace rpcfit::rpc::testing {

void MemoryCapture::connection_opened(Timestamp, const Endpoint& client, const Endpoint&) {
  std::lock_guard lock(mu_);
  direction_.opened(client);
  ++opened_;
  cv_.notify_all();
}

void MemoryCapture::pdu(const CapturedPdu& pdu) {
  SeenPdu seen;
  seen.at = pdu.time - clock_.wall(Duration{0});
  seen.bytes = pdu.bytes;
  seen.type = "?";
  seen.flags = 0;
  seen.call_id = 0;
  if (auto decoded = wire::decode_co(pdu.bytes)) {
    seen.type = wire::ptype_name(static_cast<std::uint8_t>(decoded->type));
    seen.flags = decoded->flags;
    seen.call_id = decoded->call_id;
  } else if (auto datagram = wire::decode_cl(pdu.bytes)) {
    seen.type = wire::ptype_name(static_cast<std::uint8_t>(datagram->type));
    seen.flags = datagram->flags1;
    seen.flags2 = datagram->flags2;
    seen.call_id = datagram->seqnum;
  }
  std::lock_guard lock(mu_);
  seen.outbound = direction_.from_client(pdu);
  pdus_.push_back(std::move(seen));
  cv_.notify_all();
}

void MemoryCapture::connection_closed(Timestamp, const Endpoint&, const Endpoint&) {
  std::lock_guard lock(mu_);
  ++closed_;
  cv_.notify_all();
}

std::vector<SeenPdu> MemoryCapture::pdus() const {
  std::lock_guard lock(mu_);
  return pdus_;
}

std::vector<std::string> MemoryCapture::sequence() const {
  std::vector<std::string> out;
  for (const auto& p : pdus())
    out.push_back((p.outbound ? "out " : "in ") + p.type);
  return out;
}

std::size_t MemoryCapture::count(const std::string& type) const {
  std::size_t n = 0;
  for (const auto& p : pdus())
    n += p.type == type ? 1u : 0u;
  return n;
}

std::vector<const SeenPdu*> of_type(const std::vector<SeenPdu>& pdus, const std::string& type,
                                    bool outbound) {
  std::vector<const SeenPdu*> out;
  for (const auto& pdu : pdus) {
    if (pdu.type == type && pdu.outbound == outbound) out.push_back(&pdu);
  }
  return out;
}

std::size_t MemoryCapture::count_sent(const std::string& type) const {
  const auto seen = pdus();
  return of_type(seen, type, true).size();
}

bool MemoryCapture::wait_sent(const std::string& type, std::size_t n) const {
  return wait_until(
      [&](const std::vector<SeenPdu>& seen) { return of_type(seen, type, true).size() >= n; });
}

bool MemoryCapture::wait_until(const std::function<bool(const std::vector<SeenPdu>&)>& pred) const {
  return wait_until_for(pred, kPatience);
}

bool MemoryCapture::wait_until_for(const std::function<bool(const std::vector<SeenPdu>&)>& pred,
                                   std::chrono::milliseconds bound) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, bound, [&] { return pred(pdus_); });
}

int MemoryCapture::opened() const {
  std::lock_guard lock(mu_);
  return opened_;
}

bool MemoryCapture::wait_closed(int n) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, kPatience, [&] { return closed_ >= n; });
}

int MemoryCapture::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

std::function<void(const ServerEvent&)> EventLog::observer() {
  return [this](const ServerEvent& event) {
    std::lock_guard lock(mu_);
    events_.push_back(event);
    cv_.notify_all();
  };
}

bool EventLog::wait_for(ServerEventKind kind, int n) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, kPatience, [&] {
    int seen = 0;
    for (const auto& e : events_)
      seen += e.kind == kind ? 1 : 0;
    return seen >= n;
  });
}

int EventLog::count(ServerEventKind kind) const {
  std::lock_guard lock(mu_);
  int seen = 0;
  for (const auto& e : events_)
    seen += e.kind == kind ? 1 : 0;
  return seen;
}

CallThread::CallThread(Runtime& runtime, std::shared_ptr<Binding> binding, std::uint16_t opnum,
                       Bytes input, std::function<void()> before_call) {
  std::promise<ThreadId> id;
  auto id_future = id.get_future();
  std::promise<Outcome> outcome;
  outcome_ = outcome.get_future();
  thread_ = std::thread([&runtime, binding, opnum, input = std::move(input),
                         before = std::move(before_call), id = std::move(id),
                         outcome = std::move(outcome)]() mutable {
    id.set_value(runtime.GetCurrentThreadId());
    if (before) before();
    Outcome result;
    try {
      result.output = binding->call(test_interface_id(), opnum, input);
      result.returned = true;
    } catch (const RpcException& e) {
      result.raised = e.status();
      result.what = e.what();
    }
    result.ended = runtime.clock().now();
    outcome.set_value(std::move(result));
  });
  id_ = id_future.get();
}

CallThread::~CallThread() {
  if (thread_.joinable()) thread_.join();
}

Outcome CallThread::finish() {
  if (outcome_.wait_for(kPatience) != std::future_status::ready) {
    ADD_FAILURE() << "the call did not end within " << kPatience.count() << " s";
    std::abort();  // a hung call cannot be joined; fail loudly rather than hang the suite
  }
  thread_.join();
  return outcome_.get();
}

RpcStatus raised_by(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const RpcException& e) {
    return e.status();
  }
  return status::kOk;
}

std::string make_run_dir() {
  std::string tmpl = "/tmp/rpcfit-test-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
  return tmpl;
}

void remove_run_dir(const std::string& dir) {
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

Pair::Pair(transport::Protseq protseq, double scale, RuntimeOptions client_extra,
           RuntimeOptions server_extra, BindingOptions binding_options,
           ServerOptions server_options)
    : clock(scale), capture(clock), run_dir(make_run_dir()) {
  RuntimeOptions client_options = client_extra;
  client_options.clock = &clock;
  client_options.capture = &capture;
  client_options.run_dir = run_dir;
  client = std::make_unique<Runtime>(client_options);
  RuntimeOptions server_runtime_options = std::move(server_extra);
  server_runtime_options.clock = &clock;
  server_runtime_options.run_dir = run_dir;
  server_runtime = std::make_unique<Runtime>(server_runtime_options);
  ServerOptions options = std::move(server_options);
  // The test's own observer, if any, hears every event after the Pair's log.
  options.observer = [log = events.observer(),
                      also = std::move(options.observer)](const ServerEvent& event) {
    log(event);
    if (also) also(event);
  };
  server = std::make_unique<Server>(*server_runtime, options);
  auto reg = test_interface();
  reg.routines[kGated] = [gated = gated_](ServerCall&, ByteView input) {
    gated.wait();
    return Bytes(input.begin(), input.end());
  };
  server->register_interface(std::move(reg));
  auto listening = server->listen(protseq);
  if (!listening) {
    ADD_FAILURE() << "listen: " << listening.error();
    return;
  }
  endpoint = *listening;
  string_binding = local_binding(protseq, endpoint);
  auto made = Binding::from_string(*client, string_binding, binding_options);
  if (!made) {
    ADD_FAILURE() << "binding " << string_binding << ": " << status_text(made.error());
    return;
  }
  binding = *made;
}

void Pair::open_gate() {
  std::call_once(gate_opened_, [this] { gate_.set_value(); });
}

Pair::~Pair() {
  open_gate();
  binding.reset();
  server->stop(seconds(5));
  remove_run_dir(run_dir);
}

RpcStatus Pair::cancel(ThreadId target, long timeout, std::uint32_t access) {
  auto handle = client->OpenThread(access, target);
  auto result = client->RpcCancelThreadEx(handle, timeout);
  client->CloseHandle(handle);
  return result;
}

}  // namespace rpcfit::rpc::testing
