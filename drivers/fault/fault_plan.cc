#include "drivers/fault/fault_plan.h"

#include <algorithm>
#include <stdexcept>

#include "harness/core/digest.h"
#include "harness/fault/corrupt.h"

namespace rpcfit::fault {
namespace {

std::size_t index_of(FaultKind k) {
  return static_cast<std::size_t>(k);
}

// A stream number from a spec's text that is the same on every platform.
std::uint64_t text_hash(const std::string& text) {
  return fnv1a64(text);
}

Duration draw_latency(const FaultSpec& spec, Random& random) {
  if (spec.jitter <= Duration{0}) return spec.delay;
  const auto j = static_cast<std::uint64_t>(spec.jitter.count());
  const auto offset = static_cast<Duration::rep>(random.below(2 * j + 1)) - spec.jitter.count();
  return spec.delay + Duration{offset};
}

// Time for n bytes at bps, rounded up so that a tiny PDU still takes a slot. validate() keeps
// bps within 10^9, so rem * 10^9 cannot overflow.
Duration transmit_time(std::uint64_t bytes, std::uint64_t bps) {
  constexpr std::uint64_t kNsPerSecond = 1'000'000'000;
  const std::uint64_t whole = bytes / bps;
  const std::uint64_t rem = bytes % bps;
  return Duration{
      static_cast<Duration::rep>(whole * kNsPerSecond + (rem * kNsPerSecond + bps - 1) / bps)};
}

bool header_has(const PduFacts& facts, const std::string& field) {
  const auto place = facts.connectionless ? cl_header_field(field) : co_header_field(field);
  const std::size_t header = facts.connectionless ? wire::kClHeaderSize : wire::kCoHeaderSize;
  return place.has_value() && facts.size >= header;
}

}  // namespace

std::optional<PduFacts> facts_of(Direction direction, ByteView pdu) {
  if (pdu.size() >= wire::kCoHeaderSize && pdu[0] == 5) {
    return PduFacts{direction, static_cast<wire::PType>(pdu[2]), pdu.size(), false};
  }
  if (pdu.size() >= wire::kClHeaderSize && pdu[0] == 4) {
    return PduFacts{direction, static_cast<wire::PType>(pdu[1]), pdu.size(), true};
  }
  return std::nullopt;
}

std::string to_string(const Action& a) {
  if (a.blackhole) return "blackhole";
  if (a.drop) return "drop";
  std::string out;
  auto add = [&out](const std::string& part) { out += (out.empty() ? "" : " ") + part; };
  for (const auto& c : a.corruptions)
    add("corrupt=" + c.field + ":" + std::to_string(c.value));
  if (a.truncate_to) add("truncate_to=" + std::to_string(*a.truncate_to));
  if (a.delay != Duration{0}) add("delay=" + duration_text(a.delay));
  if (a.reset) {
    add(std::string(a.reset->rst ? "rst" : "close") + "@" + std::to_string(a.reset->offset));
  }
  if (a.hold) add("hold");
  if (a.copies != 1) add("copies=" + std::to_string(a.copies));
  if (a.slice) {
    add("slice=" + std::to_string(a.slice->segment) + "/" + duration_text(a.slice->gap));
  }
  return out.empty() ? "untouched" : out;
}

// What the specs that fired on one PDU asked for, before combine() applies the precedence.
struct FaultPlan::Fired {
  bool blackhole = false;
  bool drop = false;
  bool duplicate = false;
  bool hold = false;
  bool latency = false;
  Duration delay{0};
  std::optional<std::size_t> truncate_to;
  std::vector<Corruption> corruptions;
  std::optional<ResetAt> reset;
  std::optional<Slicing> slice;
  std::vector<Armed*> bandwidth;

  void offer_reset(ResetAt r) {
    if (!reset || r.offset < reset->offset) reset = r;
  }
};

FaultPlan::FaultPlan(std::vector<FaultSpec> specs, std::uint64_t seed)
    : specs_(std::move(specs)), seed_(seed) {
  const Random root(seed);
  std::map<std::string, std::uint64_t> rank;
  armed_.reserve(specs_.size());
  for (const auto& spec : specs_) {
    if (auto ok = validate(spec); !ok) {
      throw std::invalid_argument("fault \"" + to_string(spec) + "\": " + ok.error());
    }
    const std::string text = to_string(spec);
    const std::uint64_t stream = text_hash(text) + rank[text]++;
    armed_.push_back(Armed{spec, root.fork(stream), 0, false, {}});
  }
}

void FaultPlan::fire(Armed& armed, const PduFacts& facts, std::uint64_t bytes_before,
                     Fired& fired) {
  const FaultSpec& s = armed.spec;
  const FaultMatch& m = s.match;
  if (m.direction && *m.direction != facts.direction) return;
  if (m.pdu && *m.pdu != facts.type) return;
  if (s.kind == FaultKind::reset && s.after_bytes) {
    const std::uint64_t after = *s.after_bytes;
    if (armed.spent || after > bytes_before + facts.size) return;
    armed.spent = true;
    const std::uint64_t offset = after > bytes_before ? after - bytes_before : 0;
    fired.offer_reset(ResetAt{static_cast<std::size_t>(offset), s.rst});
    return;
  }
  ++armed.matched;
  if (m.nth && armed.matched != *m.nth) return;
  if (!armed.random.chance(m.probability)) return;
  switch (s.kind) {
    case FaultKind::latency:
      fired.latency = true;
      fired.delay += draw_latency(s, armed.random);
      break;
    case FaultKind::drop:
      fired.drop = true;
      break;
    case FaultKind::duplicate:
      fired.duplicate = true;
      break;
    case FaultKind::reorder:
      fired.hold = true;
      break;
    case FaultKind::truncate:
      if (s.keep < facts.size)
        fired.truncate_to = std::min(s.keep, fired.truncate_to.value_or(s.keep));
      break;
    case FaultKind::corrupt:
      if (header_has(facts, s.field)) fired.corruptions.push_back(Corruption{s.field, s.value});
      break;
    case FaultKind::reset:
      if (armed.spent) break;
      armed.spent = true;
      fired.offer_reset(ResetAt{0, s.rst});
      break;
    case FaultKind::slice:
      if (!fired.slice) fired.slice = Slicing{s.segment, s.gap};
      fired.slice->segment = std::min(fired.slice->segment, s.segment);
      fired.slice->gap = std::max(fired.slice->gap, s.gap);
      break;
    case FaultKind::blackhole:
      fired.blackhole = true;
      break;
    case FaultKind::bandwidth:
      fired.bandwidth.push_back(&armed);
      break;
  }
}

Action FaultPlan::decide(const PduFacts& facts, Duration now) {
  std::lock_guard lock(mu_);
  const std::size_t dir = direction_index(facts.direction);
  Action held;
  held.blackhole = true;
  if (blackholed_[dir]) {
    ++counts_[index_of(FaultKind::blackhole)];
    return held;
  }
  Fired fired;
  const std::uint64_t before = bytes_[dir];
  for (auto& armed : armed_)
    fire(armed, facts, before, fired);
  if (fired.blackhole) {
    blackholed_[dir] = true;
    ++counts_[index_of(FaultKind::blackhole)];
    return held;
  }
  bytes_[dir] += facts.size;
  return combine(facts, now, fired);
}

Action FaultPlan::combine(const PduFacts& facts, Duration now, Fired& fired) {
  auto count = [this](FaultKind k) { ++counts_[index_of(k)]; };
  Action a;
  if (fired.reset) {
    a.reset = fired.reset;
    count(FaultKind::reset);
  } else if (fired.drop) {
    a.drop = true;
    count(FaultKind::drop);
    return a;
  } else if (fired.duplicate) {
    a.copies = 2;
    count(FaultKind::duplicate);
  }
  if (fired.latency) {
    a.delay = fired.delay;
    count(FaultKind::latency);
  }
  if (fired.hold) {
    a.hold = true;
    count(FaultKind::reorder);
  }
  if (fired.truncate_to) {
    a.truncate_to = fired.truncate_to;
    count(FaultKind::truncate);
  }
  if (!fired.corruptions.empty()) {
    a.corruptions = std::move(fired.corruptions);
    count(FaultKind::corrupt);
  }
  if (fired.slice) {
    a.slice = fired.slice;
    count(FaultKind::slice);
  }
  if (!fired.bandwidth.empty()) {
    const std::size_t dir = direction_index(facts.direction);
    const std::size_t size = a.truncate_to.value_or(facts.size);
    const std::uint64_t out = a.reset ? std::min(a.reset->offset, size) : size * a.copies;
    Duration pace{0};
    for (Armed* link : fired.bandwidth) {
      Duration& free = link->link_free[dir];
      free = std::max(free, now) + transmit_time(out, link->spec.bytes_per_second);
      pace = std::max(pace, free - now);
    }
    a.delay += pace;
    count(FaultKind::bandwidth);
  }
  return a;
}

bool FaultPlan::uses(FaultKind kind) const {
  return std::any_of(specs_.begin(), specs_.end(),
                     [kind](const FaultSpec& s) { return s.kind == kind; });
}

std::string FaultPlan::describe() const {
  std::string out = "seed=" + std::to_string(seed_) + " faults=";
  if (specs_.empty()) return out + "none";
  for (std::size_t i = 0; i < specs_.size(); ++i)
    out += (i == 0 ? "" : "; ") + to_string(specs_[i]);
  return out;
}

std::uint64_t FaultPlan::injected(FaultKind kind) const {
  std::lock_guard lock(mu_);
  return counts_[index_of(kind)];
}

std::map<std::string, std::uint64_t> FaultPlan::counters() const {
  std::lock_guard lock(mu_);
  std::map<std::string, std::uint64_t> out;
  for (FaultKind k : kAllFaultKinds)
    out[std::string(fault_kind_name(k))] = counts_[index_of(k)];
  return out;
}

std::string FaultPlan::describe_counters() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (FaultKind k : kAllFaultKinds) {
    if (counts_[index_of(k)] == 0) continue;
    out += (out.empty() ? "" : " ") + std::string(fault_kind_name(k)) + "=" +
           std::to_string(counts_[index_of(k)]);
  }
  return out.empty() ? "none" : out;
}

}  // namespace rpcfit::fault
