#include "harness/fault/corrupt.h"

#include <algorithm>
#include <array>

#include "harness/wire/pdu.h"

namespace rpcfit::fault {
namespace {

struct NamedField {
  std::string_view name;
  HeaderField field;
};

constexpr std::array<NamedField, 8> kCoFields{{
    {"rpc_vers", {0, 1, false}},
    {"rpc_vers_minor", {1, 1, false}},
    {"ptype", {2, 1, false}},
    {"pfc_flags", {3, 1, false}},
    {"drep", {4, 4, true}},
    {"frag_length", {8, 2, false}},
    {"auth_length", {10, 2, false}},
    {"call_id", {12, 4, false}},
}};

constexpr std::array<NamedField, 9> kClFields{{
    {"rpc_vers", {0, 1, false}},
    {"ptype", {1, 1, false}},
    {"flags1", {2, 1, false}},
    {"flags2", {3, 1, false}},
    {"drep", {4, 3, true}},
    {"serial_hi", {7, 1, false}},
    {"seqnum", {64, 4, false}},
    {"len", {74, 2, false}},
    {"fragnum", {76, 2, false}},
}};

template <std::size_t N>
std::optional<HeaderField> find(const std::array<NamedField, N>& table, std::string_view name) {
  for (const auto& f : table) {
    if (f.name == name) return f.field;
  }
  return std::nullopt;
}

std::uint64_t max_of(std::size_t width) {
  return width >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * width)) - 1;
}

}  // namespace

std::optional<HeaderField> co_header_field(std::string_view name) {
  return find(kCoFields, name);
}

std::optional<HeaderField> cl_header_field(std::string_view name) {
  return find(kClFields, name);
}

bool is_header_field(std::string_view name) {
  return co_header_field(name).has_value() || cl_header_field(name).has_value();
}

std::uint64_t header_field_max(std::string_view name) {
  std::size_t width = 0;
  if (auto co = co_header_field(name)) width = co->width;
  if (auto cl = cl_header_field(name)) width = std::max(width, cl->width);
  return max_of(width);
}

std::string header_field_names() {
  std::string out;
  auto add = [&out](std::string_view name) {
    if (out.find(std::string(name) + ",") != std::string::npos) return;
    out += std::string(name) + ", ";
  };
  for (const auto& f : kCoFields)
    add(f.name);
  for (const auto& f : kClFields)
    add(f.name);
  out.resize(out.size() - 2);
  return out;
}

Result<bool, std::string> corrupt_field(Bytes& pdu, std::string_view field, std::uint64_t value) {
  if (pdu.empty()) return unexpected(std::string("corrupt: empty PDU"));
  const bool co = pdu[0] == 5;
  if (!co && pdu[0] != 4) {
    return unexpected("corrupt: rpc_vers " + std::to_string(pdu[0]) +
                      " is neither 5 (CO) nor 4 (CL)");
  }
  const char* kind = co ? "CO" : "CL";
  const std::size_t header = co ? wire::kCoHeaderSize : wire::kClHeaderSize;
  if (pdu.size() < header) {
    return unexpected("corrupt: a " + std::to_string(pdu.size()) + "-byte " + kind +
                      " PDU is shorter than its " + std::to_string(header) + "-byte header");
  }
  const auto place = co ? co_header_field(field) : cl_header_field(field);
  if (!place) {
    return unexpected("corrupt: " + std::string(kind) + " PDUs have no field \"" +
                      std::string(field) + "\"");
  }
  if (value > max_of(place->width)) {
    return unexpected("corrupt: " + std::to_string(value) + " does not fit the " +
                      std::to_string(place->width) + "-byte field " + std::string(field));
  }
  std::uint8_t* at = pdu.data() + place->offset;
  const bool big = place->byte_array || wire::byte_order_of(pdu[4]) == ByteOrder::big;
  for (std::size_t i = 0; i < place->width; ++i) {
    const std::size_t shift = 8 * (big ? place->width - 1 - i : i);
    at[i] = static_cast<std::uint8_t>(value >> shift);
  }
  return true;
}

}  // namespace rpcfit::fault
