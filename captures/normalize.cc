#include "captures/normalize.h"

#include <map>
#include <tuple>

#include "harness/core/digest.h"
#include "harness/wire/codec.h"
#include "harness/wire/text.h"

namespace rpcfit::captures {
namespace {

using wire::PType;

// Writes the low `width` bytes of `v` at `at` in `order`; nothing when they would not fit.
void put(Bytes& b, std::size_t at, std::uint32_t v, std::size_t width, ByteOrder order) {
  if (at + width > b.size()) return;
  for (std::size_t i = 0; i < width; ++i) {
    const std::size_t shift = 8 * (order == ByteOrder::little ? i : width - 1 - i);
    b[at + i] = static_cast<std::uint8_t>(v >> shift);
  }
}
void put16(Bytes& b, std::size_t at, std::uint16_t v, ByteOrder order) {
  put(b, at, v, 2, order);
}
void put32(Bytes& b, std::size_t at, std::uint32_t v, ByteOrder order) {
  put(b, at, v, 4, order);
}

// Values numbered in order of appearance: the first new value gets `first`, the next first + 1.
// With keep_zero, 0 keeps its meaning (a new association group, a boot time not yet known).
class Renumbering {
 public:
  Renumbering(std::uint32_t first, bool keep_zero) : next_(first), keep_zero_(keep_zero) {}
  std::uint32_t operator()(std::uint32_t value) {
    if (keep_zero_ && value == 0) return 0;
    const auto [it, fresh] = seen_.emplace(value, next_);
    if (fresh) ++next_;
    return it->second;
  }

 private:
  std::map<std::uint32_t, std::uint32_t> seen_;
  std::uint32_t next_;
  bool keep_zero_;
};

struct Conversation {
  unsigned number = 0;
  Endpoint client;  // the side that spoke first (unless a PDU's type says otherwise)
  Renumbering call_ids{1, true};
  Renumbering contexts{0, false};
};

std::optional<PType> type_of(const ReadPdu& pdu) {
  if (!pdu.ok()) return std::nullopt;
  const auto& decoded = std::get<wire::Pdu>(pdu.decoded);
  if (const auto* co = std::get_if<wire::CoPdu>(&decoded)) return co->type;
  return std::get<wire::ClPdu>(decoded).type;
}

class Normalizer {
 public:
  NormalizedPdu normalize(const ReadPdu& pdu, Timestamp origin) {
    NormalizedPdu out;
    out.frame = pdu.frame;
    out.at = pdu.time - origin;
    out.transport = pdu.transport;
    out.bytes = pdu.bytes;
    Conversation& conv = conversation_of(pdu);
    out.conversation = conv.number;
    out.to_server = to_server(pdu, conv);
    if (!pdu.ok()) {
      out.text = "malformed: " + std::get<wire::Error>(pdu.decoded).to_string();
      return out;
    }
    const auto& decoded = std::get<wire::Pdu>(pdu.decoded);
    if (const auto* co = std::get_if<wire::CoPdu>(&decoded)) {
      renumber_co(*co, conv, out.bytes);
    } else {
      renumber_cl(std::get<wire::ClPdu>(decoded), out.bytes);
    }
    out.text = text_of(out.bytes, decoded);
    return out;
  }

 private:
  Conversation& conversation_of(const ReadPdu& pdu) {
    const auto key =
        std::make_tuple(pdu.transport, std::min(pdu.src, pdu.dst), std::max(pdu.src, pdu.dst));
    auto [it, fresh] = conversations_.try_emplace(key);
    if (fresh) {
      it->second.number = static_cast<unsigned>(conversations_.size());
      // The first speaker is the client, unless the direction or the type says otherwise.
      bool src_is_client = pdu.direction != Direction::to_client;
      if (pdu.direction == Direction::unknown) {
        if (const auto type = type_of(pdu)) src_is_client = sent_by_client(*type).value_or(true);
      }
      it->second.client = src_is_client ? pdu.src : pdu.dst;
    }
    return it->second;
  }

  static bool to_server(const ReadPdu& pdu, const Conversation& conv) {
    switch (pdu.direction) {
      case Direction::to_server:
        return true;
      case Direction::to_client:
        return false;
      case Direction::unknown:
        return pdu.src == conv.client;
    }
    return true;
  }

  void renumber_co(const wire::CoPdu& pdu, Conversation& conv, Bytes& b) {
    const ByteOrder order = pdu.order();
    put32(b, 12, conv.call_ids(pdu.call_id), order);
    std::visit(
        [&](const auto& body) {
          using Body = std::decay_t<decltype(body)>;
          if constexpr (std::is_same_v<Body, wire::CoRequest> ||
                        std::is_same_v<Body, wire::CoResponse> ||
                        std::is_same_v<Body, wire::CoFault>) {
            put16(b, 20, static_cast<std::uint16_t>(conv.contexts(body.context_id)), order);
          } else if constexpr (std::is_same_v<Body, wire::CoBind>) {
            put32(b, 20, assoc_groups_(body.assoc_group_id), order);
            std::size_t at = 28;  // the first presentation context element
            for (const wire::PresentationContext& c : body.contexts) {
              put16(b, at, static_cast<std::uint16_t>(conv.contexts(c.context_id)), order);
              at += 4 + 20 + 20 * c.transfer_syntaxes.size();
            }
          } else if constexpr (std::is_same_v<Body, wire::CoBindAck>) {
            put32(b, 20, assoc_groups_(body.assoc_group_id), order);
            normalize_secondary_address(body, b);
          }
        },
        pdu.body);
  }

  // The secondary address names the server's own endpoint: a TCP port (as decimal text), a pipe
  // or a local endpoint, ephemeral in a test run. A port becomes the written goldens' server
  // port (135), any other name "endpoint"; an empty one stays empty. Its length changes, so the
  // PDU is encoded anew (frag_length and the padding after the address follow).
  static void normalize_secondary_address(const wire::CoBindAck& ack, Bytes& b) {
    if (ack.secondary_address.empty()) return;
    const bool port = ack.secondary_address.find_first_not_of("0123456789") == std::string::npos;
    const std::string canonical = port ? "135" : "endpoint";
    if (ack.secondary_address == canonical) return;
    auto decoded = wire::decode_co(b);
    if (!decoded) return;
    std::get<wire::CoBindAck>(decoded->body).secondary_address = canonical;
    b = wire::encode(*decoded);
  }

  void renumber_cl(const wire::ClPdu& pdu, Bytes& b) {
    const ByteOrder order = pdu.order();
    const std::uint32_t activity = activity_index(pdu.activity);
    // The activity as 0000000N-0000-0000-0000-000000000000, its fields in the PDU's byte order.
    put32(b, 40, activity, order);
    put16(b, 44, 0, order);
    put16(b, 46, 0, order);
    for (std::size_t i = 48; i < 56 && i < b.size(); ++i)
      b[i] = 0;
    put32(b, 56, boots_(pdu.server_boot), order);
    auto [seqnums, fresh] = seqnums_.try_emplace(activity, 0, false);
    (void)fresh;
    put32(b, 64, seqnums->second(pdu.seqnum), order);
  }

  // 1, 2, ... per distinct activity UUID, in order of appearance.
  std::uint32_t activity_index(const wire::Uuid& id) {
    const auto [it, fresh] =
        activity_ids_.emplace(id, static_cast<std::uint32_t>(activity_ids_.size() + 1));
    (void)fresh;
    return it->second;
  }

  // The one-line text, and the digest of the stub (request, response, fault) when there is one:
  // two captures agree on their stub bytes, not only on their lengths.
  static std::string text_of(const Bytes& bytes, const wire::Pdu& original) {
    if (std::holds_alternative<wire::CoPdu>(original)) {
      if (auto co = wire::decode_co(bytes)) return wire::to_text(*co) + stub_text(*co);
    } else {
      if (auto cl = wire::decode_cl(bytes)) return wire::to_text(*cl) + stub_text(*cl);
    }
    return wire::to_text(original);
  }

  static std::string stub_digest(ByteView stub) {
    return stub.empty() ? "" : " stub_digest=" + hex64(fnv1a64(stub));
  }
  static std::string stub_text(const wire::CoPdu& pdu) {
    if (const auto* q = std::get_if<wire::CoRequest>(&pdu.body)) return stub_digest(q->stub);
    if (const auto* p = std::get_if<wire::CoResponse>(&pdu.body)) return stub_digest(p->stub);
    if (const auto* f = std::get_if<wire::CoFault>(&pdu.body)) return stub_digest(f->stub);
    return "";
  }
  static std::string stub_text(const wire::ClPdu& pdu) {
    const bool carries_stub = pdu.type == wire::PType::request || pdu.type == wire::PType::response;
    const auto* raw = std::get_if<wire::ClRaw>(&pdu.body);
    return carries_stub && raw != nullptr ? stub_digest(raw->body) : "";
  }

  std::map<std::tuple<TransportKind, Endpoint, Endpoint>, Conversation> conversations_;
  Renumbering assoc_groups_{1, true};
  Renumbering boots_{1, true};
  std::map<wire::Uuid, std::uint32_t> activity_ids_;
  std::map<std::uint32_t, Renumbering> seqnums_;  // per (renumbered) activity
};

}  // namespace

NormalizedCapture normalize(const CaptureContents& contents, const NormalizeOptions& options) {
  NormalizedCapture out;
  Timestamp origin = contents.first_time;
  if (options.origin) {
    origin = *options.origin;
  } else if (contents.first_time < kRelativeBefore) {
    origin = Timestamp{0};
  }
  Normalizer normalizer;
  for (const ReadPdu& pdu : contents.pdus)
    out.pdus.push_back(normalizer.normalize(pdu, origin));
  for (const ReadNote& note : contents.notes)
    out.notes.push_back("frame " + std::to_string(note.frame) + ": " + note.text);
  if (contents.error) out.error = contents.error->to_string();
  return out;
}

}  // namespace rpcfit::captures
