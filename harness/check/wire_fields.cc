#include "harness/check/wire_fields.h"

#include <array>
#include <string_view>
#include <variant>

#include "harness/core/status.h"
#include "harness/wire/codec.h"
#include "harness/wire/text.h"

namespace rpcfit::run {
namespace {

// In the order a reader meets them: the header's fields, then the body's.

template <class T>
std::string num(T value) {
  return std::to_string(value);
}

void co_body_fields(const wire::CoBody& body, PduFields& out) {
  if (const auto* q = std::get_if<wire::CoRequest>(&body)) {
    out["context_id"] = num(q->context_id);
    out["opnum"] = num(q->opnum);
    out["alloc_hint"] = num(q->alloc_hint);
    out["stub_length"] = num(q->stub.size());
  } else if (const auto* r = std::get_if<wire::CoResponse>(&body)) {
    out["context_id"] = num(r->context_id);
    out["alloc_hint"] = num(r->alloc_hint);
    out["cancel_count"] = num(r->cancel_count);
    out["stub_length"] = num(r->stub.size());
  } else if (const auto* f = std::get_if<wire::CoFault>(&body)) {
    out["context_id"] = num(f->context_id);
    out["alloc_hint"] = num(f->alloc_hint);
    out["cancel_count"] = num(f->cancel_count);
    out["status"] = describe_nca_status(f->status);
    out["stub_length"] = num(f->stub.size());
  }
}

PduFields co_fields(const wire::CoPdu& pdu) {
  PduFields out;
  out["type"] = wire::ptype_name(static_cast<std::uint8_t>(pdu.type));
  out["flags"] = wire::co_flags_text(pdu.type, pdu.flags);
  out["call_id"] = num(pdu.call_id);
  co_body_fields(pdu.body, out);
  return out;
}

void cl_body_fields(const wire::ClPdu& pdu, PduFields& out) {
  const bool has_stub = pdu.type == wire::PType::request || pdu.type == wire::PType::response;
  if (const auto* raw = std::get_if<wire::ClRaw>(&pdu.body)) {
    if (has_stub) out["stub_length"] = num(raw->body.size());
  } else if (const auto* s = std::get_if<wire::ClStatus>(&pdu.body)) {
    if (s->status) out["status"] = describe_nca_status(*s->status);
    // The status of a datagram fault is its body's first word; what follows is the fault's stub,
    // as the bytes after the fault header are in CO.
    if (pdu.type == wire::PType::fault) out["stub_length"] = num(s->extra.size());
  } else if (const auto* c = std::get_if<wire::ClCancel>(&pdu.body)) {
    if (c->has_body) out["cancel_id"] = num(c->cancel_id);
  } else if (const auto* a = std::get_if<wire::ClCancelAck>(&pdu.body)) {
    out["cancel_id"] = num(a->cancel_id);
    out["server_is_accepting"] = num(a->server_is_accepting);
  }
}

PduFields cl_fields(const wire::ClPdu& pdu) {
  PduFields out;
  out["type"] = wire::ptype_name(static_cast<std::uint8_t>(pdu.type));
  out["flags"] = wire::cl_flags1_text(pdu.flags1);
  out["flags2"] = wire::cl_flags2_text(pdu.flags2);
  out["seqnum"] = num(pdu.seqnum);
  out["fragnum"] = num(pdu.fragnum);
  out["activity"] = pdu.activity.to_string();
  // Every datagram header carries the opnum, so it is a field of every datagram.
  out["opnum"] = num(pdu.opnum);
  cl_body_fields(pdu, out);
  return out;
}

struct FieldsOf {
  PduFields operator()(const wire::CoPdu& pdu) const { return co_fields(pdu); }
  PduFields operator()(const wire::ClPdu& pdu) const { return cl_fields(pdu); }
};

}  // namespace

Result<PduFields, std::string> pdu_fields(ByteView pdu) {
  auto decoded = wire::decode(pdu);
  if (!decoded) return unexpected(decoded.error().to_string());
  return std::visit(FieldsOf{}, *decoded);
}

bool is_pdu_field(const std::string& name) {
  for (std::string_view known : kPduFieldNames) {
    if (known == name) return true;
  }
  return false;
}

std::string pdu_field_names() {
  std::string out;
  for (std::string_view name : kPduFieldNames) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

}  // namespace rpcfit::run
