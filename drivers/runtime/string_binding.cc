#include "drivers/runtime/string_binding.h"

#include <algorithm>
#include <cctype>

#include "harness/wire/pdu.h"

namespace rpcfit::rpc {
namespace {

bool is_protseq_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

bool has_control_chars(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return std::iscntrl(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

Result<StringBinding, RpcStatus> parse_string_binding(std::string_view text) {
  auto invalid = [] { return unexpected(status::kInvalidBinding); };
  if (text.empty() || text.size() > 4096 || has_control_chars(text)) return invalid();
  StringBinding out;

  // An '@' before the first ':' introduces an object UUID.
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return invalid();
  auto at = text.substr(0, colon).find('@');
  if (at != std::string_view::npos) {
    std::string uuid(text.substr(0, at));
    if (!wire::Uuid::parse(uuid)) return invalid();
    out.object_uuid = uuid;
    text.remove_prefix(at + 1);
    colon = text.find(':');
  }

  auto protseq = text.substr(0, colon);
  if (protseq.empty() || !std::all_of(protseq.begin(), protseq.end(), is_protseq_char)) {
    return invalid();
  }
  auto rest = text.substr(colon + 1);
  auto open = rest.find('[');
  out.network_address = std::string(rest.substr(0, open));
  if (out.network_address.find_first_of("]@,= ") != std::string::npos) return invalid();
  if (open != std::string_view::npos) {
    if (rest.back() != ']') return invalid();
    auto inside = rest.substr(open + 1, rest.size() - open - 2);
    if (inside.find_first_of("[]") != std::string_view::npos) return invalid();
    auto comma = inside.find(',');
    out.endpoint = std::string(inside.substr(0, comma));
    while (comma != std::string_view::npos) {
      inside.remove_prefix(comma + 1);
      comma = inside.find(',');
      auto option = inside.substr(0, comma);
      auto eq = option.find('=');
      if (eq == std::string_view::npos || eq == 0) return invalid();
      out.options.emplace(std::string(option.substr(0, eq)), std::string(option.substr(eq + 1)));
    }
  }

  // Only a well-formed binding can be refused for its protocol sequence.
  auto known = transport::parse_protseq(protseq);
  if (!known) return unexpected(status::kProtseqNotSupported);
  out.protseq = *known;
  return out;
}

std::string StringBinding::to_string() const {
  std::string text;
  if (object_uuid) text += *object_uuid + "@";
  text += std::string(transport::protseq_name(protseq)) + ":" + network_address;
  if (!endpoint.empty() || !options.empty()) {
    text += "[" + endpoint;
    for (const auto& [key, value] : options)
      text += "," + key + "=" + value;
    text += "]";
  }
  return text;
}

std::string local_binding(transport::Protseq protseq, const std::string& endpoint) {
  return std::string(transport::protseq_name(protseq)) +
         (transport::uses_ports(protseq) ? ":127.0.0.1[" : ":[") + endpoint + "]";
}

}  // namespace rpcfit::rpc
