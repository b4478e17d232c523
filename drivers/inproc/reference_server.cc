#include "drivers/inproc/reference_server.h"

#include <set>
#include <utility>

#include "drivers/runtime/string_binding.h"
#include "drivers/runtime/test_interface.h"

namespace rpcfit::inproc {
namespace {

// Server::stop's bound when the server goes without stop() (scenario time).
constexpr Duration kDestroyBound = std::chrono::seconds(5);

// The opnums the server must serve: those the steps call and those given behaviours of their own.
std::set<std::uint16_t> served_opnums(const run::Scenario& scenario) {
  std::set<std::uint16_t> opnums;
  for (const auto& step : scenario.steps) {
    if (step.kind == run::StepKind::call) opnums.insert(step.opnum);
  }
  for (const auto& [opnum, spec] : scenario.server.by_opnum)
    opnums.insert(opnum);
  return opnums;
}

}  // namespace

Result<std::unique_ptr<ReferenceServer>, std::string> ReferenceServer::open(
    const ReferenceServerSetup& setup) {
  if (setup.scenario == nullptr || setup.clock == nullptr) {
    return unexpected(std::string("the reference server needs a scenario and a clock"));
  }
  const run::Scenario& scenario = *setup.scenario;
  const auto protseq = transport::parse_protseq(scenario.protseq);
  if (!protseq) return unexpected("the runtime does not speak " + scenario.protseq);

  std::unique_ptr<ReferenceServer> s(new ReferenceServer);
  s->protseq_ = *protseq;
  s->book_ = std::make_shared<ServerBook>();
  s->recorder_ = std::make_shared<server::EventRecorder>();
  s->recorder_->set_listener(
      [book = s->book_](const server::BehaviourEvent& event) { book->on_behaviour_event(event); });

  rpc::RuntimeOptions runtime_options;
  runtime_options.clock = setup.clock;
  runtime_options.run_dir = setup.run_dir;
  runtime_options.stream_decorator = setup.stream_decorator;
  runtime_options.datagram_decorator = setup.datagram_decorator;
  if (setup.keep_wire) {
    s->sink_ = std::make_shared<WireSink>(*setup.clock, setup.capture);
    runtime_options.capture = s->sink_.get();
  }
  s->runtime_ = std::make_unique<rpc::Runtime>(std::move(runtime_options));

  rpc::ServerOptions options;
  options.cancel_deaf = scenario.server.cancel_deaf;
  // Holds the book and recorder, not the ReferenceServer: the server's threads must never own
  // what its destruction joins them from.
  options.observer = [book = s->book_, recorder = s->recorder_](const rpc::ServerEvent& e) {
    book->on_server_event(e);
    recorder->on_server_event(e);
  };
  s->server_ = std::make_unique<rpc::Server>(*s->runtime_, std::move(options));
  rpc::InterfaceRegistration registration;
  registration.id = rpc::test_interface_id();
  for (const std::uint16_t opnum : served_opnums(scenario)) {
    registration.routines[opnum] = ServerBook::wrap(
        s->book_, server::make_routine(run::behaviour_for(scenario.server, opnum), s->recorder_));
  }
  s->server_->register_interface(std::move(registration));

  auto endpoint = s->server_->listen(*protseq, "");
  if (!endpoint) return unexpected("listen on " + scenario.protseq + ": " + endpoint.error());
  s->binding_ = rpc::local_binding(*protseq, *endpoint);
  return s;
}

ReferenceServer::~ReferenceServer() {
  if (server_) stop(kDestroyBound);
}

bool ReferenceServer::wait_calls(
    const std::function<bool(const std::vector<run::ServerCallRecord>&)>& done,
    std::chrono::milliseconds patience) const {
  return book_->wait_until(done, patience);
}

std::vector<run::WirePdu> ReferenceServer::wire() const {
  return sink_ ? sink_->pdus() : std::vector<run::WirePdu>{};
}

std::size_t ReferenceServer::stop(Duration bound) {
  if (stopped_) return abandoned_;
  stopped_ = true;
  abandoned_ = server_->stop(bound);
  // A routine stop() abandoned may still send; the run's capture may go with the session.
  if (sink_) sink_->detach_forward();
  return abandoned_;
}

}  // namespace rpcfit::inproc
