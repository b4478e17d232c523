#include "harness/cli/capture_dump.h"

#include <cstdio>
#include <ostream>

#include "harness/wire/text.h"

namespace rpcfit::cli {
namespace {

using captures::ReadPdu;
using nlohmann::json;

std::string relative_seconds(Timestamp t, Timestamp first) {
  const auto ns = (t - first).count();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s%lld.%09lld", ns < 0 ? "-" : "", std::llabs(ns) / 1000000000LL,
                std::llabs(ns) % 1000000000LL);
  return buf;
}

void co_fields(const wire::CoPdu& p, json& j) {
  j["version"] = 5;
  j["version_minor"] = p.vers_minor;
  j["flags"] = p.flags;
  j["frag_length"] = p.frag_length;
  j["auth_length"] = p.auth_length;
  j["call_id"] = p.call_id;
  if (const auto* q = std::get_if<wire::CoRequest>(&p.body)) {
    j["context_id"] = q->context_id;
    j["opnum"] = q->opnum;
    j["alloc_hint"] = q->alloc_hint;
    if (q->object) j["object"] = q->object->to_string();
  } else if (const auto* r = std::get_if<wire::CoResponse>(&p.body)) {
    j["context_id"] = r->context_id;
    j["alloc_hint"] = r->alloc_hint;
    j["cancel_count"] = r->cancel_count;
  } else if (const auto* f = std::get_if<wire::CoFault>(&p.body)) {
    j["context_id"] = f->context_id;
    j["alloc_hint"] = f->alloc_hint;
    j["cancel_count"] = f->cancel_count;
    j["status"] = f->status;
    j["fault_flags"] = f->fault_flags;
  }
  if (p.auth) {
    j["auth_type"] = p.auth->type;
    j["auth_level"] = p.auth->level;
  }
}

void cl_fields(const wire::ClPdu& p, json& j) {
  j["version"] = 4;
  j["flags"] = p.flags1;
  j["flags2"] = p.flags2;
  j["frag_length"] = p.body_length;  // as Wireshark's dcerpc.dg_frag_len
  j["seqnum"] = p.seqnum;
  j["fragnum"] = p.fragnum;
  j["opnum"] = p.opnum;
  j["activity"] = p.activity.to_string();
  if (const auto* s = std::get_if<wire::ClStatus>(&p.body); s && s->status) {
    j["status"] = *s->status;
  } else if (const auto* c = std::get_if<wire::ClCancel>(&p.body); c && c->has_body) {
    j["cancel_id"] = c->cancel_id;
  } else if (const auto* a = std::get_if<wire::ClCancelAck>(&p.body)) {
    j["cancel_id"] = a->cancel_id;
    j["server_is_accepting"] = a->server_is_accepting;
  }
  if (p.auth_proto) j["auth_type"] = p.auth_proto;
}

// The header bytes of a PDU that did not decode, as far as they can be read.
void raw_header_fields(const Bytes& b, json& j) {
  if (b.empty()) return;
  j["version"] = b[0];
  const std::size_t ptype_at = b[0] == 5 ? 2 : 1;
  if (b.size() > ptype_at) {
    j["ptype"] = b[ptype_at];
    j["type"] = wire::ptype_name(b[ptype_at]);
  }
}

}  // namespace

json pdu_json(const ReadPdu& pdu, Timestamp first_time) {
  json j;
  j["frame"] = pdu.frame;
  j["time"] = format_timestamp(pdu.time);
  j["rel_time"] = relative_seconds(pdu.time, first_time);
  j["src"] = pdu.src.to_string();
  j["dst"] = pdu.dst.to_string();
  j["transport"] = pdu.transport == TransportKind::tcp ? "tcp" : "udp";
  j["direction"] = captures::direction_name(pdu.direction);
  if (const auto* err = std::get_if<wire::Error>(&pdu.decoded)) {
    raw_header_fields(pdu.bytes, j);
    j["length"] = pdu.bytes.size();
    j["malformed"] = err->to_string();
    return j;
  }
  const auto& decoded = std::get<wire::Pdu>(pdu.decoded);
  std::visit(
      [&](const auto& p) {
        j["ptype"] = static_cast<int>(p.type);
        j["type"] = wire::ptype_name(static_cast<std::uint8_t>(p.type));
        j["drep"] = p.drep[0] >> 4;
      },
      decoded);
  if (const auto* co = std::get_if<wire::CoPdu>(&decoded)) co_fields(*co, j);
  if (const auto* cl = std::get_if<wire::ClPdu>(&decoded)) cl_fields(*cl, j);
  j["text"] = wire::to_text(decoded);
  return j;
}

std::string pdu_text(const ReadPdu& pdu) {
  if (const auto* err = std::get_if<wire::Error>(&pdu.decoded)) {
    return "malformed " + std::to_string(pdu.bytes.size()) + " bytes: " + err->to_string();
  }
  return wire::to_text(std::get<wire::Pdu>(pdu.decoded));
}

std::string pdu_line(const ReadPdu& pdu, Timestamp first_time) {
  return std::to_string(pdu.frame) + "  " + relative_seconds(pdu.time, first_time) + "  " +
         pdu.src.to_string() + " -> " + pdu.dst.to_string() + "  " +
         (pdu.transport == TransportKind::tcp ? "tcp" : "udp") + "  " + pdu_text(pdu);
}

int capture_dump(const std::string& file, bool json_lines, std::ostream& out, std::ostream& err) {
  const captures::CaptureContents contents = captures::read_capture_file(file);
  for (const ReadPdu& pdu : contents.pdus) {
    if (json_lines) {
      out << pdu_json(pdu, contents.first_time)
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
          << '\n';
    } else {
      out << pdu_line(pdu, contents.first_time) << '\n';
    }
  }
  out.flush();
  for (const captures::ReadNote& n : contents.notes) {
    err << "rpcfit: note: " << file;
    if (n.frame) err << ": frame " << n.frame;
    err << ": " << n.text << '\n';
  }
  if (contents.error) {
    err << "rpcfit: capture dump: " << contents.error->to_string() << '\n';
    return 2;
  }
  return 0;
}

}  // namespace rpcfit::cli
