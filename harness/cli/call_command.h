// `rpcfit call BINDING ...`: one synchronous call from a dedicated client thread, optionally
// cancelled from the main thread after a delay (RpcCancelThreadEx or RpcCancelThread), reported
// with the PDUs it exchanged, as text or one JSON object.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

#include "harness/wire/pdu.h"

#include "harness/cli/command.h"

namespace rpcfit::cli {

struct CallOptions {
  std::string binding;    // string binding, e.g. ncacn_ip_tcp:127.0.0.1[49731]
  std::string interface;  // "UUID" (v1.0) or "UUID:MAJOR.MINOR"; empty: rpcfit's test interface
  std::uint16_t opnum = 0;
  std::optional<std::string> in_hex;    // stub input as hex digits, whitespace allowed
  std::optional<std::size_t> in_bytes;  // stub input of N bytes 00 01 .. ff 00 01 ..
  std::optional<long> cancel_after_ms;  // cancel this long after the call starts
  std::optional<long> cancel_timeout;   // RpcCancelThreadEx's timeout; default -1 (infinite)
  bool cancel_thread = false;           // RpcCancelThread instead of RpcCancelThreadEx
  std::string access = "0x1FFFFF";      // OpenThread access mask, decimal or 0x hex
  std::string capture;                  // pcap to write the PDUs to; empty: none
  bool json = false;
  std::filesystem::path run_dir;  // Unix sockets (ncalrpc, ncacn_np); empty: default_run_dir()
};

// Runs the call and prints the report to `out`, errors to `err`. Exit status: 0 when the call
// returned, 1 when it raised, 2 for a usage error (bad binding, interface, hex or access mask,
// conflicting options) or a capture file that cannot be written.
int call_command(const CallOptions& options, std::ostream& out, std::ostream& err);

// "UUID" (version 1.0) or "UUID:MAJOR.MINOR" (version = major | minor << 16).
std::optional<wire::SyntaxId> parse_interface(const std::string& text);
// Decimal or 0x-prefixed hex, fitting 32 bits.
std::optional<std::uint32_t> parse_access(const std::string& text);

Command add_call_command(CLI::App& rpcfit);

}  // namespace rpcfit::cli
