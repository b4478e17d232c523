#include "drivers/agent/protocol.h"

#include <algorithm>
#include <limits>

namespace rpcfit::agent {
namespace {

std::string kind_of(const Json& j) {
  return j.type_name();
}

// JSON integers the protocol allows: within ±2^53, so that any agent's JSON library keeps them.
constexpr std::int64_t kMaxInteger = std::int64_t{1} << 53;

}  // namespace

Result<Incoming, std::string> parse_line(std::string_view line) {
  if (line.size() > kMaxLine) {
    return unexpected("a line of " + std::to_string(line.size()) + " bytes (at most " +
                      std::to_string(kMaxLine) + ")");
  }
  Json j = Json::parse(line, nullptr, false);
  if (j.is_discarded()) return unexpected(std::string("not JSON"));
  if (!j.is_object()) return unexpected("a JSON " + kind_of(j) + ", not an object");
  const bool has_id = j.contains("id");
  const bool has_event = j.contains("event");
  if (has_id == has_event) {
    return unexpected(
        std::string(has_id ? "both an id and an event" : "neither an id nor an event"));
  }
  if (has_event) {
    const Json& name = j["event"];
    if (!name.is_string() || name.get<std::string>().empty()) {
      return unexpected("field \"event\": expected a name, got " + kind_of(name));
    }
    return Incoming{Event{name.get<std::string>(), std::move(j)}};
  }
  const Json& id = j["id"];
  if (!id.is_number_unsigned() || id.get<std::uint64_t>() == 0 ||
      id.get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxInteger)) {
    return unexpected("field \"id\": expected a positive integer, got " + id.dump());
  }
  Answer answer;
  answer.id = id.get<std::uint64_t>();
  const std::string what = "answer " + std::to_string(answer.id);
  const auto ok = j.find("ok");
  if (ok == j.end() || !ok->is_boolean()) {
    return unexpected(what + ": field \"ok\": expected true or false, got " +
                      (ok == j.end() ? std::string("nothing") : kind_of(*ok)));
  }
  answer.ok = ok->get<bool>();
  if (!answer.ok) {
    const auto error = j.find("error");
    if (error == j.end() || !error->is_string()) {
      return unexpected(what + ": field \"error\": expected the agent's reason, got " +
                        (error == j.end() ? std::string("nothing") : kind_of(*error)));
    }
    answer.error = error->get<std::string>();
  }
  answer.fields = std::move(j);
  return Incoming{std::move(answer)};
}

std::string request_line(std::uint64_t id, std::string_view op, Json fields) {
  Json j = Json::object();
  j["id"] = id;
  j["op"] = std::string(op);
  if (fields.is_object()) {
    for (auto& [key, value] : fields.items()) {
      if (key != "id" && key != "op") j[key] = value;
    }
  }
  // Invalid UTF-8 in a text field is replaced rather than thrown on.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string hex_of(ByteView bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(bytes.size() * 2);
  for (const std::uint8_t b : bytes) {
    text += kDigits[b >> 4];
    text += kDigits[b & 15];
  }
  return text;
}

bool Fields::has(const char* key) const {
  return j_.is_object() && j_.contains(key);
}

std::string Fields::bad(const char* key, const char* expected, const Json& got) const {
  return what_ + ": field \"" + key + "\": expected " + expected + ", got " + got.dump();
}

Result<const Json*, std::string> Fields::at(const char* key) const {
  if (!j_.is_object()) return unexpected(what_ + ": not an object");
  const auto it = j_.find(key);
  if (it == j_.end()) return unexpected(what_ + ": field \"" + key + "\" is missing");
  return &*it;
}

Result<std::int64_t, std::string> Fields::integer(const char* key) const {
  auto v = at(key);
  if (!v) return unexpected(v.error());
  const Json& j = **v;
  if (!j.is_number_integer()) return unexpected(bad(key, "an integer", j));
  const std::int64_t n = j.is_number_unsigned()
                             ? static_cast<std::int64_t>(std::min<std::uint64_t>(
                                   j.get<std::uint64_t>(), std::uint64_t{1} << 62))
                             : j.get<std::int64_t>();
  if (n > kMaxInteger || n < -kMaxInteger) return unexpected(bad(key, "an integer within 2^53", j));
  return n;
}

Result<std::uint32_t, std::string> Fields::status(const char* key) const {
  auto n = integer(key);
  if (!n) return unexpected(n.error());
  if (*n < 0 || *n > std::numeric_limits<std::uint32_t>::max()) {
    return unexpected(bad(key, "a status from 0 to 4294967295", **at(key)));
  }
  return static_cast<std::uint32_t>(*n);
}

Result<bool, std::string> Fields::boolean(const char* key) const {
  auto v = at(key);
  if (!v) return unexpected(v.error());
  if (!(*v)->is_boolean()) return unexpected(bad(key, "true or false", **v));
  return (*v)->get<bool>();
}

Result<std::string, std::string> Fields::text(const char* key) const {
  auto v = at(key);
  if (!v) return unexpected(v.error());
  if (!(*v)->is_string()) return unexpected(bad(key, "a string", **v));
  return (*v)->get<std::string>();
}

Result<Bytes, std::string> Fields::bytes(const char* key) const {
  auto t = text(key);
  if (!t) return unexpected(t.error());
  Bytes out;
  if (t->find(' ') != std::string::npos || !from_hex(*t, out)) {
    return unexpected(bad(key, "hex digits, two per byte", **at(key)));
  }
  return out;
}

Result<std::optional<std::string>, std::string> Fields::name_or_null(const char* key) const {
  auto v = at(key);
  if (!v) return unexpected(v.error());
  if ((*v)->is_null()) return std::optional<std::string>{};
  if (!(*v)->is_string()) return unexpected(bad(key, "a name or null", **v));
  return std::optional<std::string>((*v)->get<std::string>());
}

Result<std::vector<std::string>, std::string> Fields::texts(const char* key) const {
  auto v = at(key);
  if (!v) return unexpected(v.error());
  if (!(*v)->is_array()) return unexpected(bad(key, "a list of strings", **v));
  std::vector<std::string> out;
  for (const Json& item : **v) {
    if (!item.is_string()) return unexpected(bad(key, "a list of strings", **v));
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<Hello, std::string> hello_of(const Answer& answer, const std::vector<int>& offered) {
  if (!answer.ok) return unexpected("hello refused: " + answer.error);
  const Fields f(answer.fields, "hello");
  Hello h;
  auto protocol = f.integer("protocol");
  if (!protocol) return unexpected(protocol.error());
  if (std::find(offered.begin(), offered.end(), *protocol) == offered.end()) {
    return unexpected("hello: speaks protocol version " + std::to_string(*protocol) +
                      ", not one rpcfit offered");
  }
  h.protocol = static_cast<int>(*protocol);
  auto implementation = f.text("implementation");
  auto version = f.text("version");
  auto now = f.integer("now_us");
  if (!implementation) return unexpected(implementation.error());
  if (!version) return unexpected(version.error());
  if (!now) return unexpected(now.error());
  h.implementation = *implementation;
  h.version = *version;
  h.now_us = *now;
  const auto caps = answer.fields.find("capabilities");
  if (caps == answer.fields.end() || !caps->is_object()) {
    return unexpected(std::string("hello: field \"capabilities\": expected an object"));
  }
  const Fields c(*caps, "hello capabilities");
  auto roles = c.texts("roles");
  auto protseqs = c.texts("protseqs");
  if (!roles) return unexpected(roles.error());
  if (!protseqs) return unexpected(protseqs.error());
  h.capabilities.roles = *roles;
  h.capabilities.protseqs = *protseqs;
  const std::pair<const char*, bool*> flags[] = {
      {"async", &h.capabilities.async},
      {"set_cancel_timeout", &h.capabilities.set_cancel_timeout},
      {"cancel_thread", &h.capabilities.cancel_thread},
      {"access_masks", &h.capabilities.access_masks},
      {"server_test_cancel", &h.capabilities.server_test_cancel},
  };
  for (const auto& [key, out] : flags) {
    auto flag = c.boolean(key);
    if (!flag) return unexpected(flag.error());
    *out = *flag;
  }
  if (c.has("rpcfit_tuning")) {
    auto flag = c.boolean("rpcfit_tuning");
    if (!flag) return unexpected(flag.error());
    h.capabilities.rpcfit_tuning = *flag;
  }
  return h;
}

}  // namespace rpcfit::agent
