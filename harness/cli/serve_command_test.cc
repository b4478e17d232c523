// `rpcfit serve` as a user runs it: a child process listening on the bindings given, called by
// rpcfit's own runtime in this process, printing a line per call.
#include "harness/cli/serve_command.h"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "drivers/runtime/client.h"
#include "drivers/runtime/rpc.h"
#include "drivers/runtime/runtime.h"
#include "drivers/runtime/test_interface.h"
#include "drivers/server/serve_interface.h"
#include "harness/cli/cli_test_util.h"

namespace rpcfit::cli {
namespace {

using server::serve_op::kCancelRaise;
using server::serve_op::kDeny;
using server::serve_op::kNormal;
using testing::ChildProcess;

constexpr auto kPatience = std::chrono::seconds(30);

RpcStatus raised_by(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const rpc::RpcException& e) {
    return e.status();
  }
  return status::kOk;
}

// `rpcfit serve` with `args`, and the bindings it printed that it listens on.
struct Served {
  explicit Served(std::vector<std::string> args, std::size_t bindings) {
    args.insert(args.begin(), {RPCFIT_EXECUTABLE, "serve"});
    process = std::make_unique<ChildProcess>(args);
    for (std::size_t i = 0; i < bindings; ++i) {
      auto line = process->read_line(kPatience);
      if (!line) break;
      listening.push_back(*line);
    }
  }
  std::unique_ptr<ChildProcess> process;
  std::vector<std::string> listening;
};

std::string binding_in(const std::string& line) {
  const std::string prefix = "listening ";
  return line.rfind(prefix, 0) == 0 ? line.substr(prefix.size()) : line;
}

struct Client {
  Client() {
    rpc::RuntimeOptions options;
    options.clock = &clock;
    runtime = std::make_unique<rpc::Runtime>(options);
  }
  std::shared_ptr<rpc::Binding> bind(const std::string& text) {
    auto made = rpc::Binding::from_string(*runtime, text);
    EXPECT_TRUE(made.ok()) << text;
    return made.ok() ? *made : nullptr;
  }
  RealClock clock;
  std::unique_ptr<rpc::Runtime> runtime;
};

TEST(ServeCommand, PrintsItsEndpointsThenALinePerCall) {
  Served s({"ncacn_ip_tcp:127.0.0.1[0]", "ncadg_ip_udp:127.0.0.1[0]"}, 2);
  ASSERT_EQ(s.listening.size(), 2u);
  EXPECT_NE(s.listening[0].find("listening ncacn_ip_tcp:127.0.0.1["), std::string::npos);
  EXPECT_EQ(s.listening[0].find("[0]"), std::string::npos) << "the real port, not 0";
  EXPECT_NE(s.listening[1].find("listening ncadg_ip_udp:127.0.0.1["), std::string::npos);
  Client c;
  for (const auto& line : s.listening) {
    auto binding = c.bind(binding_in(line));
    ASSERT_NE(binding, nullptr);
    EXPECT_EQ(binding->call(rpc::test_interface_id(), kNormal, Bytes{1, 2}), (Bytes{1, 2}));
    auto printed = s.process->read_line(kPatience);
    ASSERT_TRUE(printed.has_value());
    EXPECT_NE(printed->find("opnum 0 normal: started"), std::string::npos) << *printed;
    EXPECT_NE(printed->find("; response"), std::string::npos) << *printed;
  }
  auto binding = c.bind(binding_in(s.listening[0]));
  EXPECT_EQ(raised_by([&] { binding->call(rpc::test_interface_id(), kDeny, Bytes{}); }),
            status::kAccessDenied);
  auto denied = s.process->read_line(kPatience);
  ASSERT_TRUE(denied.has_value());
  EXPECT_NE(denied->find("finished RPC_S_ACCESS_DENIED"), std::string::npos) << *denied;
  EXPECT_NE(denied->find("; fault"), std::string::npos) << *denied;
}

TEST(ServeCommand, JsonLinesShowTheCancelTheRoutineSaw) {
  Served s({"ncacn_ip_tcp:127.0.0.1[0]", "--json"}, 1);
  ASSERT_EQ(s.listening.size(), 1u);
  auto listening = nlohmann::json::parse(s.listening[0]);
  Client c;
  auto binding = c.bind(listening["listening"].get<std::string>());
  ASSERT_NE(binding, nullptr);
  rpc::ThreadId caller = 0;
  std::promise<void> started;
  RpcStatus raised = status::kOk;
  std::thread call([&] {
    caller = c.runtime->GetCurrentThreadId();
    started.set_value();
    raised = raised_by([&] { binding->call(rpc::test_interface_id(), kCancelRaise, Bytes{}); });
  });
  started.get_future().wait();
  // The routine polls until the cancel comes; posting it early is fine (it is carried along).
  auto handle = c.runtime->OpenThread(rpc::access::kThreadAllAccess, caller);
  EXPECT_EQ(c.runtime->RpcCancelThreadEx(handle, -1), status::kOk);
  c.runtime->CloseHandle(handle);
  call.join();
  EXPECT_EQ(raised, status::kCallCancelled);
  auto line = s.process->read_line(kPatience);
  ASSERT_TRUE(line.has_value());
  auto j = nlohmann::json::parse(*line);
  EXPECT_EQ(j["opnum"], kCancelRaise);
  EXPECT_EQ(j["result"], "fault");
  EXPECT_EQ(j["fault_status"].get<std::string>().find("nca_s_fault_cancel"), 0u) << j.dump();
  bool saw = false;
  for (const auto& e : j["events"])
    saw = saw || e["event"] == "saw_cancel";
  EXPECT_TRUE(saw) << j.dump();
}

TEST(ServeCommand, CapturesWhatItExchangedForCaptureDump) {
  std::string dir = (std::filesystem::path(::testing::TempDir()) / "rpcfit-serve-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::string pcap = dir + "/serve.pcap";
  Served s({"ncacn_ip_tcp:127.0.0.1[0]", "--capture", pcap}, 1);
  ASSERT_EQ(s.listening.size(), 1u);
  {
    Client c;
    auto binding = c.bind(binding_in(s.listening[0]));
    ASSERT_NE(binding, nullptr);
    EXPECT_EQ(binding->call(rpc::test_interface_id(), kNormal, Bytes{5}), Bytes{5});
  }
  ASSERT_TRUE(s.process->read_line(kPatience).has_value());
  EXPECT_EQ(s.process->terminate(), 0) << "SIGTERM is a clean stop";
  auto dump = testing::run_process({RPCFIT_EXECUTABLE, "capture", "dump", pcap});
  EXPECT_EQ(dump.status, 0) << dump.err;
  for (const char* type : {"bind ", "bind_ack ", "request ", "response "}) {
    EXPECT_NE(dump.out.find(type), std::string::npos) << type << " missing from\n" << dump.out;
  }
  std::filesystem::remove_all(dir);
}

TEST(ServeCommand, ABadBindingIsAnErrorNamingIt) {
  auto r = testing::run_process(
      {RPCFIT_EXECUTABLE, "serve", "ncacn_ip_tcp:127.0.0.1[0]", "ncacn_bogus:[x]"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("ncacn_bogus:[x]"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace rpcfit::cli
