#include "harness/wire/text.h"

#include <cstdio>

#include "harness/core/status.h"

namespace rpcfit::wire {
namespace {

struct FlagName {
  std::uint8_t bit;
  const char* name;
};

std::string flags_text(std::uint8_t flags, const FlagName (&names)[8]) {
  if (flags == 0) return "none";
  std::string out;
  for (const auto& [bit, name] : names) {
    if (!(flags & bit)) continue;
    if (!out.empty()) out += '|';
    out += name;
  }
  return out;
}

bool is_bind_type(PType t) {
  return t == PType::bind || t == PType::bind_ack || t == PType::alter_context ||
         t == PType::alter_context_resp || t == PType::auth3;
}

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", v);
  return buf;
}

// Wire strings go into one-line logs and JSON: anything but printable ASCII becomes \xNN.
std::string printable(const std::string& raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (char c : raw) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '"' && c != '\\') {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(kDigits[u >> 4]);
      out.push_back(kDigits[u & 0xf]);
    }
  }
  return out;
}

std::string auth_text(const std::optional<AuthTrailer>& a) {
  if (!a) return "";
  return " auth_type=" + std::to_string(a->type) + " auth_level=" + std::to_string(a->level) +
         " auth_len=" + std::to_string(a->value.size());
}

struct CoBodyText {
  std::string operator()(const CoRequest& q) const {
    std::string s = " ctx=" + std::to_string(q.context_id) + " opnum=" + std::to_string(q.opnum) +
                    " alloc_hint=" + std::to_string(q.alloc_hint) +
                    " stub=" + std::to_string(q.stub.size());
    if (q.object) s += " object=" + q.object->to_string();
    return s;
  }
  std::string operator()(const CoResponse& p) const {
    return " ctx=" + std::to_string(p.context_id) +
           " cancel_count=" + std::to_string(p.cancel_count) +
           " alloc_hint=" + std::to_string(p.alloc_hint) + " stub=" + std::to_string(p.stub.size());
  }
  std::string operator()(const CoFault& f) const {
    return " ctx=" + std::to_string(f.context_id) +
           " cancel_count=" + std::to_string(f.cancel_count) +
           " status=" + describe_nca_status(f.status);
  }
  std::string operator()(const CoBind& b) const {
    return " max_xmit=" + std::to_string(b.max_xmit_frag) +
           " max_recv=" + std::to_string(b.max_recv_frag) +
           " assoc_group=" + hex32(b.assoc_group_id) +
           " contexts=" + std::to_string(b.contexts.size());
  }
  std::string operator()(const CoBindAck& b) const {
    return " max_xmit=" + std::to_string(b.max_xmit_frag) +
           " max_recv=" + std::to_string(b.max_recv_frag) +
           " assoc_group=" + hex32(b.assoc_group_id) + " sec_addr=\"" +
           printable(b.secondary_address) + "\" results=" + std::to_string(b.results.size());
  }
  std::string operator()(const CoBindNak& b) const {
    return " reason=" + std::to_string(b.reject_reason);
  }
  std::string operator()(const CoOpaque& o) const {
    return o.body.empty() ? "" : " body=" + std::to_string(o.body.size());
  }
};

struct ClBodyText {
  std::string operator()(const ClRaw& r) const { return " body=" + std::to_string(r.body.size()); }
  std::string operator()(const ClStatus& s) const {
    return s.status ? " status=" + describe_nca_status(*s.status) : " status=none";
  }
  std::string operator()(const ClCancel& c) const {
    if (!c.has_body) return " no_body";
    return " vers=" + std::to_string(c.vers) + " cancel_id=" + std::to_string(c.cancel_id);
  }
  std::string operator()(const ClCancelAck& c) const {
    return " vers=" + std::to_string(c.vers) + " cancel_id=" + std::to_string(c.cancel_id) +
           " accepting=" + std::to_string(c.server_is_accepting);
  }
  std::string operator()(const ClFack& f) const {
    if (!f.has_body) return " no_body";
    return " window=" + std::to_string(f.window_size) + " serial=" + std::to_string(f.serial_num) +
           " selack=" + std::to_string(f.selack.size());
  }
};

}  // namespace

std::string co_flags_text(PType type, std::uint8_t flags) {
  static const FlagName kCall[8] = {{0x01, "FIRST"},          {0x02, "LAST"},
                                    {0x04, "PENDING_CANCEL"}, {0x08, "RESERVED_08"},
                                    {0x10, "CONC_MPX"},       {0x20, "DID_NOT_EXECUTE"},
                                    {0x40, "MAYBE"},          {0x80, "OBJECT_UUID"}};
  static const FlagName kBind[8] = {
      {0x01, "FIRST"},       {0x02, "LAST"},       {0x04, "SUPPORT_HEADER_SIGN"},
      {0x08, "RESERVED_08"}, {0x10, "CONC_MPX"},   {0x20, "DID_NOT_EXECUTE"},
      {0x40, "MAYBE"},       {0x80, "OBJECT_UUID"}};
  return flags_text(flags, is_bind_type(type) ? kBind : kCall);
}

std::string cl_flags1_text(std::uint8_t flags1) {
  static const FlagName kNames[8] = {
      {0x01, "RESERVED_01"}, {0x02, "LASTFRAG"},   {0x04, "FRAG"},      {0x08, "NOFACK"},
      {0x10, "MAYBE"},       {0x20, "IDEMPOTENT"}, {0x40, "BROADCAST"}, {0x80, "RESERVED_80"}};
  return flags_text(flags1, kNames);
}

std::string cl_flags2_text(std::uint8_t flags2) {
  static const FlagName kNames[8] = {{0x01, "RESERVED_01"}, {0x02, "CANCEL_PENDING"},
                                     {0x04, "RESERVED_04"}, {0x08, "RESERVED_08"},
                                     {0x10, "RESERVED_10"}, {0x20, "RESERVED_20"},
                                     {0x40, "RESERVED_40"}, {0x80, "RESERVED_80"}};
  return flags_text(flags2, kNames);
}

std::string to_text(const CoPdu& pdu) {
  std::string s = ptype_name(static_cast<std::uint8_t>(pdu.type)) +
                  " call_id=" + std::to_string(pdu.call_id) +
                  " flags=" + co_flags_text(pdu.type, pdu.flags);
  s += std::visit(CoBodyText{}, pdu.body);
  s += auth_text(pdu.auth);
  if (pdu.order() == ByteOrder::big) s += " big_endian";
  return s;
}

std::string to_text(const ClPdu& pdu) {
  std::string s = ptype_name(static_cast<std::uint8_t>(pdu.type)) +
                  " seqnum=" + std::to_string(pdu.seqnum) +
                  " fragnum=" + std::to_string(pdu.fragnum) + " opnum=" + std::to_string(pdu.opnum);
  if (pdu.flags1) s += " flags1=" + cl_flags1_text(pdu.flags1);
  if (pdu.flags2) s += " flags2=" + cl_flags2_text(pdu.flags2);
  s += std::visit(ClBodyText{}, pdu.body);
  if (pdu.auth_proto) s += " auth_proto=" + std::to_string(pdu.auth_proto);
  if (pdu.order() == ByteOrder::big) s += " big_endian";
  return s;
}

std::string to_text(const Pdu& pdu) {
  return std::visit([](const auto& p) { return to_text(p); }, pdu);
}

}  // namespace rpcfit::wire
