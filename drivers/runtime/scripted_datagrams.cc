#include "drivers/runtime/scripted_datagrams.h"

#include "harness/wire/codec.h"

namespace rpcfit::rpc::testing {

ScriptedDatagrams::ScriptedDatagrams(std::unique_ptr<DatagramSocket> inner, DatagramScript script)
    : DatagramDecorator(std::move(inner)), script_(std::move(script)) {}

IoResult ScriptedDatagrams::send_to(ByteView datagram, const DatagramPeer& to) {
  std::optional<std::pair<Bytes, DatagramPeer>> release;
  DatagramFate fate = DatagramFate::deliver;
  {
    std::lock_guard lock(mu_);
    if (auto pdu = wire::decode_cl(datagram)) {
      int nth = ++sent_by_type_[static_cast<std::uint8_t>(pdu->type)];
      fate = script_(*pdu, nth);
    }
    if (fate != DatagramFate::deliver) ++fates_[fate];
    switch (fate) {
      case DatagramFate::deliver:
      case DatagramFate::duplicate:
        release.swap(held_);
        break;
      case DatagramFate::drop:
        return {};
      case DatagramFate::hold:
        release.swap(held_);  // one held at a time: an earlier one goes now
        held_.emplace(Bytes(datagram.begin(), datagram.end()), to);
        break;
    }
  }
  IoResult result;
  if (fate != DatagramFate::hold) result = inner().send_to(datagram, to);
  if (fate == DatagramFate::duplicate) inner().send_to(datagram, to);
  if (release) inner().send_to(release->first, release->second);
  return result;
}

int ScriptedDatagrams::count(DatagramFate fate) const {
  std::lock_guard lock(mu_);
  auto it = fates_.find(fate);
  return it == fates_.end() ? 0 : it->second;
}

std::function<std::unique_ptr<DatagramSocket>(std::unique_ptr<DatagramSocket>)> scripted(
    DatagramScript script, std::function<void(ScriptedDatagrams&)> made) {
  return
      [script = std::move(script), made = std::move(made)](std::unique_ptr<DatagramSocket> inner) {
        auto socket = std::make_unique<ScriptedDatagrams>(std::move(inner), script);
        if (made) made(*socket);
        return std::unique_ptr<DatagramSocket>(std::move(socket));
      };
}

}  // namespace rpcfit::rpc::testing
