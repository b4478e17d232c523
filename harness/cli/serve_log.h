// What `rpcfit serve` prints: one line (or JSON object) per call, once the server has disposed of
// its result, with what the behaviour saw and when. A call's routine and the runtime's last word
// on it (response sent, fault sent, result discarded) come on the same thread, which is how the
// events of concurrent calls (whose call_ids may repeat across connections) are told apart.
#pragma once

#include <map>
#include <mutex>
#include <ostream>
#include <thread>
#include <vector>

#include "drivers/server/behaviour.h"

namespace rpcfit::cli {

class ServeLog {
 public:
  ServeLog(std::ostream& out, bool json) : out_(out), json_(json) {}

  // From the behaviours' recorder (EventRecorder::set_listener), on the routine's thread.
  void on_behaviour(const server::BehaviourEvent& event);
  // From the server's observer.
  void on_server(const rpc::ServerEvent& event);
  // "listening <binding>" (or {"listening": ...}) for each endpoint, before any call.
  void listening(const std::string& binding);

 private:
  struct Call {
    std::vector<server::BehaviourEvent> events;
    std::vector<Duration> cancels;  // cancel_arrived reported on this thread
  };
  void print(const rpc::ServerEvent& last, const Call& call);

  std::ostream& out_;
  const bool json_;
  std::mutex mu_;
  std::map<std::thread::id, Call> calls_;
};

}  // namespace rpcfit::cli
