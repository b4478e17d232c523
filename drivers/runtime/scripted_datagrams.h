// A test decorator on a DatagramSocket: a script decides, for each datagram sent, whether it is
// delivered, lost, duplicated or held back until the next datagram has gone (reordering). Lost
// datagrams never reach the inner socket, so captures show what crossed the "network".
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "harness/seams/datagram.h"
#include "harness/wire/pdu.h"

namespace rpcfit::rpc::testing {

enum class DatagramFate : std::uint8_t { deliver, drop, duplicate, hold };

// nth: how many datagrams of the PDU's type this socket has sent, this one included (from 1).
using DatagramScript = std::function<DatagramFate(const wire::ClPdu& pdu, int nth)>;

class ScriptedDatagrams final : public DatagramDecorator {
 public:
  ScriptedDatagrams(std::unique_ptr<DatagramSocket> inner, DatagramScript script);

  IoResult send_to(ByteView datagram, const DatagramPeer& to) override;

  // How many datagrams met each fate other than deliver.
  int count(DatagramFate fate) const;

 private:
  DatagramScript script_;
  mutable std::mutex mu_;
  std::map<std::uint8_t, int> sent_by_type_;
  std::map<DatagramFate, int> fates_;
  std::optional<std::pair<Bytes, DatagramPeer>> held_;
};

// A RuntimeOptions::datagram_decorator that applies `script` to every socket; the sockets made
// are reported through `made` (may be null) so a test can read their counts.
std::function<std::unique_ptr<DatagramSocket>(std::unique_ptr<DatagramSocket>)> scripted(
    DatagramScript script, std::function<void(ScriptedDatagrams&)> made = {});

}  // namespace rpcfit::rpc::testing
