// Byte buffers and bounds-checked readers and writers in either byte order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rpcfit {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Bytes 00 01 .. ff 00 .. of the given length: a call step's `in_bytes`, a normal server's
// `response_size`, `rpcfit call --in-bytes`.
Bytes counting_bytes(std::size_t size);

enum class ByteOrder : std::uint8_t { little, big };

// Reads integers and slices from a view; every read checks the bounds first and, when it fails,
// leaves the position where it was so that the caller can name the field and offset at fault.
class ByteReader {
 public:
  ByteReader(ByteView data, ByteOrder order) : data_(data), order_(order) {}

  std::size_t offset() const { return pos_; }
  std::size_t remaining() const { return data_.size() - pos_; }
  std::size_t size() const { return data_.size(); }
  ByteOrder order() const { return order_; }

  bool u8(std::uint8_t& out);
  bool u16(std::uint16_t& out);
  bool u32(std::uint32_t& out);
  bool bytes(std::size_t n, ByteView& out);
  bool copy(std::size_t n, Bytes& out);
  bool skip(std::size_t n);
  // Moves to an absolute position not beyond the end.
  bool seek(std::size_t pos);
  ByteView rest() const { return data_.subspan(pos_); }

 private:
  ByteView data_;
  std::size_t pos_ = 0;
  ByteOrder order_;
};

class ByteWriter {
 public:
  explicit ByteWriter(ByteOrder order) : order_(order) {}

  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v);
  void u32(std::uint32_t v);
  void bytes(ByteView v) { out_.insert(out_.end(), v.begin(), v.end()); }
  void zeros(std::size_t n) { out_.insert(out_.end(), n, std::uint8_t{0}); }
  // Overwrites a 16-bit field already written, e.g. a length known only at the end.
  void patch_u16(std::size_t at, std::uint16_t v);
  void patch_u32(std::size_t at, std::uint32_t v);

  std::size_t size() const { return out_.size(); }
  ByteOrder order() const { return order_; }
  const Bytes& data() const { return out_; }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
  ByteOrder order_;
};

// Network-order (big-endian) loads and stores for protocol headers held in plain buffers.
inline std::uint16_t load_be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
inline std::uint16_t load_le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
inline std::uint32_t load_le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}
inline void store_be16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void store_be32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

// "05 00 12 06" style, for messages and test failures.
std::string to_hex(ByteView data, std::size_t max_bytes = 64);
// Parses "05 00 12 06" or "05001206"; returns false on any non-hex character or odd digit count.
bool from_hex(const std::string& text, Bytes& out);

}  // namespace rpcfit
