#include "drivers/inproc/inproc_session.h"

#include <utility>

namespace rpcfit::inproc {
namespace {

// Server::stop's bound when the session is destroyed without shutdown() (scenario time).
constexpr Duration kDestroyBound = std::chrono::seconds(5);

}  // namespace

InprocSession::InprocSession(std::unique_ptr<ReferenceServer> server,
                             std::unique_ptr<ReferenceClient> client,
                             std::shared_ptr<fault::FaultPlan> plan, std::uint64_t seed)
    : server_(std::move(server)), client_(std::move(client)), plan_(std::move(plan)), seed_(seed) {}

InprocSession::~InprocSession() {
  shutdown(kDestroyBound);
  client_.reset();  // detaches from late callers, then the server goes
}

std::string InprocSession::faults_injected() const {
  if (!plan_) return "";
  auto counters = plan_->describe_counters();
  return counters == "none" ? "" : counters;  // the observation's spelling of nothing
}

std::string InprocSession::shutdown(Duration bound) {
  std::lock_guard once(shutdown_mu_);
  if (shut_down_) return shutdown_report_;
  client_->end_calls();
  server_->stop(bound);
  shutdown_report_ = client_->finish();
  shut_down_ = true;
  return shutdown_report_;
}

}  // namespace rpcfit::inproc
