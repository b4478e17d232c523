// The agent protocol's messages (PROTOCOL.md beside this file): the request lines rpcfit writes,
// and the answers and events it reads, each checked for its shape before anything trusts it. A
// line that is not a message says why and where ("answer 7: field \"status\": expected an
// integer, got a string").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "harness/core/bytes.h"
#include "harness/core/result.h"

namespace rpcfit::agent {

using Json = nlohmann::ordered_json;

inline constexpr int kProtocolVersion = 1;
inline constexpr std::size_t kMaxLine = std::size_t{1} << 20;  // bytes, newline excluded

// The answer to request `id`: `ok` with the operation's fields, or the agent's `error`.
struct Answer {
  std::uint64_t id = 0;
  bool ok = false;
  std::string error;  // when !ok
  Json fields;        // the whole object
};

// Something that happened with no request waiting for it (async_completed, ...).
struct Event {
  std::string name;
  Json fields;  // the whole object
};

using Incoming = std::variant<Answer, Event>;

// One line from the agent (without its newline) as an answer or an event.
Result<Incoming, std::string> parse_line(std::string_view line);

// The line (with its newline) of request `id`: `fields` (an object, or null) with id and op.
std::string request_line(std::uint64_t id, std::string_view op, Json fields = nullptr);

// Bytes as the protocol spells them: lowercase hex, two digits per byte, nothing between.
std::string hex_of(ByteView bytes);

// Typed reads of an answer's or event's fields, each failing with the field's name and what it
// held instead.
class Fields {
 public:
  Fields(const Json& object, std::string what) : j_(object), what_(std::move(what)) {}
  Result<std::int64_t, std::string> integer(const char* key) const;
  Result<std::uint32_t, std::string> status(const char* key) const;  // a Win32 status
  Result<bool, std::string> boolean(const char* key) const;
  Result<std::string, std::string> text(const char* key) const;
  Result<Bytes, std::string> bytes(const char* key) const;  // a hex string
  // A string, or JSON null (nullopt).
  Result<std::optional<std::string>, std::string> name_or_null(const char* key) const;
  Result<std::vector<std::string>, std::string> texts(const char* key) const;
  bool has(const char* key) const;

 private:
  Result<const Json*, std::string> at(const char* key) const;
  std::string bad(const char* key, const char* expected, const Json& got) const;

  const Json& j_;
  std::string what_;
};

struct Capabilities {
  std::vector<std::string> roles;     // client, server
  std::vector<std::string> protseqs;  // ncacn_ip_tcp, ...
  bool async = false;
  bool set_cancel_timeout = false;
  bool cancel_thread = false;
  bool access_masks = false;
  bool server_test_cancel = false;
  // Optional; rpcfit's own agent only: it takes bind's `tuning` (the scenario's knobs for
  // rpcfit's runtime: datagram timers, the pre-NT platform, the seed of its random choices).
  bool rpcfit_tuning = false;
};

struct Hello {
  int protocol = 0;
  std::string implementation;
  std::string version;
  std::int64_t now_us = 0;
  Capabilities capabilities;
};

// The hello answer, checked: a version rpcfit offered, every field present and of its type.
Result<Hello, std::string> hello_of(const Answer& answer, const std::vector<int>& offered);

}  // namespace rpcfit::agent
