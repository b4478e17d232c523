// Flow control of the connectionless protocol (C706 chapter 10) for one direction of one call:
// the client's request or the server's response. Pure: DgSender says which fragments to put on
// the wire and the caller encodes and sends them. Tested with plain PDUs, no sockets.
//
// Fragments go out in bursts of at most `window` unacknowledged fragments. Every fragment of a
// burst but its last carries NOFACK, so the receiver answers a burst with one fack. A fack
// acknowledges fragments (through + selack), adopts the receiver's window, resends the gaps that
// are known lost and sends the next burst: at most `window` fragments in all. On the caller's
// retransmission timer, or when the peer pings, one fragment goes again, asking for a fack. A
// body that fits one datagram is one unfragmented PDU: the peer's reply (working, response, fack)
// acknowledges it.
//
// Each transmission gets the next serial number (serial_hi/serial_lo), which a fack echoes: the
// serial of the fragment that made the receiver send it. An unacknowledged fragment below the
// highest acknowledged one is lost only if it was last sent before that fragment; one sent after
// it may still be on its way and is not resent. A fack without a body (older senders) has no
// serial: it acknowledges fragments through its fragnum and resends nothing.
#pragma once

#include <cstdint>
#include <vector>

#include "harness/wire/pdu.h"

namespace rpcfit::rpc {

// Datagram body size of a fragment: 1464-byte datagrams, the DCE default for UDP, minus the
// 80-byte header.
inline constexpr std::size_t kDgFragmentBody = 1464 - wire::kClHeaderSize;
// Window offered in facks and assumed until the peer's first fack.
inline constexpr std::uint16_t kDgWindow = 8;

class DgSender {
 public:
  DgSender() = default;
  // `fragments` as fragment_cl() makes them: one unfragmented PDU, or fragments 0..n-1.
  explicit DgSender(std::vector<wire::ClPdu> fragments, std::uint16_t window = kDgWindow);

  // The first burst.
  std::vector<wire::ClPdu> start();
  // A fack from the receiver: what to send now (lost gaps, then the next burst), at most
  // window() fragments.
  std::vector<wire::ClPdu> on_fack(const wire::ClPdu& fack);
  // The retransmission timer fired: the lowest unacknowledged fragment, asking for a fack; empty
  // when everything is acknowledged.
  std::vector<wire::ClPdu> on_timer();
  // The peer pinged (or repeated its request) for the call this sender holds: as on_timer(), and
  // once everything is acknowledged the last fragment (the PDU, when unfragmented), asking for a
  // fack. Empty only when the sender is.
  std::vector<wire::ClPdu> on_ping();
  // The whole direction is acknowledged (the peer replied to the call).
  void acknowledge_all();
  // The next transmission starts over from the first fragment (a nocall: the peer lost it all).
  void restart();

  bool acknowledged() const;
  bool empty() const { return fragments_.empty(); }
  std::size_t size() const { return fragments_.size(); }
  std::uint16_t window() const { return window_; }

 private:
  bool fragmented() const;
  std::size_t in_flight() const;  // sent and not acknowledged
  void acknowledge(std::size_t index);
  // Stamps serials and the NOFACK flags of one burst (the last asks for a fack).
  std::vector<wire::ClPdu> burst(const std::vector<std::size_t>& indexes);

  std::vector<wire::ClPdu> fragments_;
  std::vector<bool> sent_;
  std::vector<bool> acked_;
  std::vector<std::uint16_t> sent_serial_;  // the serial each fragment was last sent with
  std::uint16_t window_ = kDgWindow;
  std::uint16_t serial_ = 0;
};

}  // namespace rpcfit::rpc
