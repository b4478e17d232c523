#include "harness/wire/fragment.h"

#include <algorithm>

#include "harness/wire/codec.h"

namespace rpcfit::wire {
namespace {

Error frag_error(ErrorCode code, std::string field, std::string detail) {
  return Error{code, std::move(field), 0, std::move(detail)};
}

Bytes* co_stub(CoPdu& pdu) {
  if (auto* q = std::get_if<CoRequest>(&pdu.body)) return &q->stub;
  if (auto* p = std::get_if<CoResponse>(&pdu.body)) return &p->stub;
  return nullptr;
}

void set_alloc_hint(CoPdu& pdu, std::uint32_t hint) {
  if (auto* q = std::get_if<CoRequest>(&pdu.body)) q->alloc_hint = hint;
  if (auto* p = std::get_if<CoResponse>(&pdu.body)) p->alloc_hint = hint;
}

std::string activity_key(const ClPdu& pdu) {
  return pdu.activity.to_string();
}

}  // namespace

Result<std::vector<CoPdu>, Error> fragment_co(const CoPdu& whole, std::uint16_t max_xmit_frag) {
  CoPdu shell = whole;
  Bytes* stub_ptr = co_stub(shell);
  if (!stub_ptr) {
    return unexpected(frag_error(ErrorCode::unsupported, "ptype",
                                 ptype_name(static_cast<std::uint8_t>(whole.type)) +
                                     " is not fragmented; only request and response bodies are"));
  }
  if (whole.auth) {
    return unexpected(frag_error(ErrorCode::unsupported, "auth",
                                 "authenticated PDUs are fragmented by their security provider"));
  }
  const Bytes stub = std::move(*stub_ptr);
  stub_ptr->clear();
  const std::size_t overhead = encode(shell).size();  // header and body header, no stub
  if (max_xmit_frag <= overhead) {
    return unexpected(frag_error(ErrorCode::unsupported, "max_xmit_frag",
                                 std::to_string(max_xmit_frag) + " leaves no room for stub data" +
                                     " after a " + std::to_string(overhead) + "-byte header"));
  }
  // Stub data in fragments stays 8-byte aligned (NDR), as MS-RPCE recommends.
  std::size_t room = max_xmit_frag - overhead;
  if (room >= 8) room -= room % 8;
  std::vector<CoPdu> out;
  std::size_t pos = 0;
  do {
    const std::size_t n = std::min(room, stub.size() - pos);
    CoPdu frag = shell;
    frag.flags = static_cast<std::uint8_t>(whole.flags & ~(pfc::kFirstFrag | pfc::kLastFrag));
    if (pos == 0) frag.flags |= pfc::kFirstFrag;
    if (pos + n == stub.size()) frag.flags |= pfc::kLastFrag;
    set_alloc_hint(frag, static_cast<std::uint32_t>(stub.size() - pos));
    co_stub(frag)->assign(stub.begin() + static_cast<std::ptrdiff_t>(pos),
                          stub.begin() + static_cast<std::ptrdiff_t>(pos + n));
    out.push_back(std::move(frag));
    pos += n;
  } while (pos < stub.size());
  return out;
}

Result<std::vector<ClPdu>, Error> fragment_cl(const ClPdu& whole, std::size_t max_body) {
  const auto* raw = std::get_if<ClRaw>(&whole.body);
  if (!raw || (whole.type != PType::request && whole.type != PType::response)) {
    return unexpected(frag_error(ErrorCode::unsupported, "ptype",
                                 "only request and response bodies are fragmented"));
  }
  if (max_body == 0) {
    return unexpected(frag_error(ErrorCode::unsupported, "max_body", "must be at least 1"));
  }
  if (raw->body.size() <= max_body) return std::vector<ClPdu>{whole};
  if ((raw->body.size() + max_body - 1) / max_body > 0xffff) {
    return unexpected(frag_error(ErrorCode::limit_exceeded, "fragnum",
                                 "more than 65535 fragments would be needed"));
  }
  std::vector<ClPdu> out;
  for (std::size_t pos = 0; pos < raw->body.size(); pos += max_body) {
    const std::size_t n = std::min(max_body, raw->body.size() - pos);
    ClPdu frag = whole;
    frag.fragnum = static_cast<std::uint16_t>(out.size());
    frag.flags1 = static_cast<std::uint8_t>((whole.flags1 | clf1::kFrag) & ~clf1::kLastFrag);
    if (pos + n == raw->body.size()) frag.flags1 |= clf1::kLastFrag;
    frag.body = ClRaw{Bytes(raw->body.begin() + static_cast<std::ptrdiff_t>(pos),
                            raw->body.begin() + static_cast<std::ptrdiff_t>(pos + n))};
    out.push_back(std::move(frag));
  }
  return out;
}

Result<std::optional<CoPdu>, Error> CoCallReassembler::add(const CoPdu& fragment) {
  using Out = Result<std::optional<CoPdu>, Error>;
  CoPdu copy = fragment;
  Bytes* stub = co_stub(copy);
  if (!stub) {
    // No more fragments of a call will come once the client orphans it or the server faults it.
    if (fragment.type == PType::orphaned || fragment.type == PType::fault) {
      calls_.erase(fragment.call_id);
    }
    return Out(std::optional<CoPdu>(std::move(copy)));
  }
  const bool first = fragment.flags & pfc::kFirstFrag;
  const bool last = fragment.flags & pfc::kLastFrag;
  auto it = calls_.find(fragment.call_id);
  if (first) {
    // A new first fragment restarts the call: the earlier partial one is dropped.
    if (it != calls_.end()) calls_.erase(it);
    if (last) return Out(std::optional<CoPdu>(std::move(copy)));
    if (calls_.size() >= limits_.max_calls_in_progress) {
      return Out(
          unexpected(frag_error(ErrorCode::limit_exceeded, "call_id",
                                std::to_string(calls_.size()) + " calls already in progress")));
    }
    if (stub->size() > limits_.max_call_size) {
      return Out(unexpected(frag_error(ErrorCode::limit_exceeded, "stub", "call too large")));
    }
    calls_.emplace(fragment.call_id, std::move(copy));
    return Out(std::optional<CoPdu>());
  }
  if (it == calls_.end()) {
    return Out(unexpected(frag_error(
        ErrorCode::sequence, "pfc_flags",
        "call_id " + std::to_string(fragment.call_id) + ": a fragment without a first fragment")));
  }
  if (it->second.type != fragment.type) {
    calls_.erase(it);
    return Out(unexpected(frag_error(
        ErrorCode::sequence, "ptype",
        "call_id " + std::to_string(fragment.call_id) + ": fragments of different types")));
  }
  Bytes* whole = co_stub(it->second);
  if (whole->size() + stub->size() > limits_.max_call_size) {
    calls_.erase(it);
    return Out(unexpected(frag_error(ErrorCode::limit_exceeded, "stub",
                                     "call_id " + std::to_string(fragment.call_id) +
                                         ": reassembled size exceeds " +
                                         std::to_string(limits_.max_call_size) + " bytes")));
  }
  whole->insert(whole->end(), stub->begin(), stub->end());
  // Cancel state is the union over fragments.
  it->second.flags |= static_cast<std::uint8_t>(fragment.flags & pfc::kPendingCancel);
  if (!last) return Out(std::optional<CoPdu>());
  CoPdu done = std::move(it->second);
  calls_.erase(it);
  done.flags |= pfc::kLastFrag;
  set_alloc_hint(done, static_cast<std::uint32_t>(co_stub(done)->size()));
  return Out(std::optional<CoPdu>(std::move(done)));
}

void ClCallReassembler::erase(std::map<Key, Partial>::iterator it) {
  held_ -= it->second.size;
  calls_.erase(it);
}

Result<std::optional<ClPdu>, Error> ClCallReassembler::add(const ClPdu& fragment) {
  using Out = Result<std::optional<ClPdu>, Error>;
  const auto* raw = std::get_if<ClRaw>(&fragment.body);
  if (!raw || !(fragment.flags1 & clf1::kFrag)) return Out(std::optional<ClPdu>(fragment));
  const Key key{activity_key(fragment), fragment.seqnum, static_cast<std::uint8_t>(fragment.type)};
  // A late duplicate of a call already delivered must not start it again.
  if (std::any_of(completed_.begin(), completed_.end(),
                  [&](const auto& done) { return done.first == key; })) {
    return Out(std::optional<ClPdu>());
  }
  auto it = calls_.find(key);
  // Beyond the reception window (the first missing fragment and the max_fragments_ahead - 1
  // after it): dropped unstored, the sender resends it in time.
  const std::size_t contiguous = it == calls_.end() ? 0 : it->second.contiguous;
  if (fragment.fragnum >= contiguous + std::max<std::size_t>(limits_.max_fragments_ahead, 1)) {
    return Out(std::optional<ClPdu>());
  }
  if (it == calls_.end()) {
    if (calls_.size() >= limits_.max_calls_in_progress) {
      return Out(
          unexpected(frag_error(ErrorCode::limit_exceeded, "seqnum",
                                std::to_string(calls_.size()) + " calls already in progress")));
    }
    it = calls_.emplace(key, Partial{fragment, {}, {}, 0, 0}).first;
  }
  Partial& p = it->second;
  if (fragment.fragnum < p.contiguous || p.fragments.count(fragment.fragnum)) {
    return Out(std::optional<ClPdu>());  // duplicate
  }
  const bool is_last = fragment.flags1 & clf1::kLastFrag;
  if ((p.last && fragment.fragnum > *p.last) ||
      (is_last && !p.fragments.empty() && p.fragments.rbegin()->first > fragment.fragnum)) {
    erase(it);
    return Out(unexpected(frag_error(ErrorCode::sequence, "fragnum",
                                     "seqnum " + std::to_string(fragment.seqnum) + ": fragment " +
                                         std::to_string(fragment.fragnum) +
                                         " lies beyond the last fragment")));
  }
  const std::size_t cost = raw->body.size() + kClHeaderSize;
  if (p.size + cost > limits_.max_call_size) {
    erase(it);
    return Out(unexpected(
        frag_error(ErrorCode::limit_exceeded, "body",
                   "seqnum " + std::to_string(fragment.seqnum) + ": reassembled size exceeds " +
                       std::to_string(limits_.max_call_size) + " bytes, counting " +
                       std::to_string(kClHeaderSize) + " per fragment")));
  }
  if (fragment.fragnum == 0) p.first = fragment;
  if (is_last) p.last = fragment.fragnum;
  p.size += cost;
  held_ += cost;
  auto stored = p.fragments.emplace(fragment.fragnum, raw->body).first;
  // Each fragment is passed over once here: acknowledgement() needs no walk from 0.
  for (; stored != p.fragments.end() && stored->first == p.contiguous; ++stored)
    ++p.contiguous;
  if (!p.last || p.contiguous != std::size_t{*p.last} + 1) return Out(std::optional<ClPdu>());
  ClPdu done = std::move(p.first);
  Bytes body;
  body.reserve(p.size - p.fragments.size() * kClHeaderSize);
  for (const auto& [num, bytes] : p.fragments)
    body.insert(body.end(), bytes.begin(), bytes.end());
  done.body = ClRaw{std::move(body)};
  done.fragnum = 0;
  done.flags1 = static_cast<std::uint8_t>(done.flags1 & ~(clf1::kFrag | clf1::kLastFrag));
  const std::uint16_t last = *p.last;
  erase(it);  // `p` goes with it
  completed_.emplace_back(key, last);
  if (completed_.size() > kRememberCompleted) completed_.pop_front();
  return Out(std::optional<ClPdu>(std::move(done)));
}

ClAcknowledgement ClCallReassembler::acknowledgement(const ClPdu& fragment) const {
  const Key key{activity_key(fragment), fragment.seqnum, static_cast<std::uint8_t>(fragment.type)};
  ClAcknowledgement ack;
  for (const auto& [done, last] : completed_) {
    if (done == key) {
      ack.through = last;
      return ack;
    }
  }
  auto it = calls_.find(key);
  if (it == calls_.end()) return ack;
  const Partial& p = it->second;
  // 0xFFFF when fragment 0 is missing.
  ack.through = static_cast<std::uint16_t>(p.contiguous == 0 ? 0xFFFF : p.contiguous - 1);
  if (p.contiguous > 0xFFFF) return ack;  // all 65536 fragments, none beyond
  // Only the fragments beyond the first missing one, within max_fragments_ahead of it.
  const auto first_missing = static_cast<std::uint16_t>(p.contiguous);
  for (auto f = p.fragments.upper_bound(first_missing); f != p.fragments.end(); ++f) {
    const auto offset = static_cast<std::size_t>(f->first - first_missing);
    if (ack.selack.size() <= offset / 32) ack.selack.resize(offset / 32 + 1, 0);
    ack.selack[offset / 32] |= 1u << (offset % 32);
  }
  return ack;
}

}  // namespace rpcfit::wire
