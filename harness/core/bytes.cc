#include "harness/core/bytes.h"

#include <cctype>

namespace rpcfit {

Bytes counting_bytes(std::size_t size) {
  Bytes out(size);
  for (std::size_t i = 0; i < size; ++i)
    out[i] = static_cast<std::uint8_t>(i & 0xFF);
  return out;
}

bool ByteReader::u8(std::uint8_t& out) {
  if (remaining() < 1) return false;
  out = data_[pos_++];
  return true;
}

bool ByteReader::u16(std::uint16_t& out) {
  if (remaining() < 2) return false;
  const std::uint8_t* p = data_.data() + pos_;
  out = order_ == ByteOrder::little ? load_le16(p) : load_be16(p);
  pos_ += 2;
  return true;
}

bool ByteReader::u32(std::uint32_t& out) {
  if (remaining() < 4) return false;
  const std::uint8_t* p = data_.data() + pos_;
  out = order_ == ByteOrder::little ? load_le32(p) : load_be32(p);
  pos_ += 4;
  return true;
}

bool ByteReader::bytes(std::size_t n, ByteView& out) {
  if (remaining() < n) return false;
  out = data_.subspan(pos_, n);
  pos_ += n;
  return true;
}

bool ByteReader::copy(std::size_t n, Bytes& out) {
  ByteView view;
  if (!bytes(n, view)) return false;
  out.assign(view.begin(), view.end());
  return true;
}

bool ByteReader::skip(std::size_t n) {
  if (remaining() < n) return false;
  pos_ += n;
  return true;
}

bool ByteReader::seek(std::size_t pos) {
  if (pos > data_.size()) return false;
  pos_ = pos;
  return true;
}

void ByteWriter::u16(std::uint16_t v) {
  out_.resize(out_.size() + 2);
  patch_u16(out_.size() - 2, v);
}

void ByteWriter::u32(std::uint32_t v) {
  out_.resize(out_.size() + 4);
  patch_u32(out_.size() - 4, v);
}

void ByteWriter::patch_u16(std::size_t at, std::uint16_t v) {
  std::uint8_t* p = out_.data() + at;
  if (order_ == ByteOrder::big) {
    store_be16(p, v);
  } else {
    p[0] = static_cast<std::uint8_t>(v);
    p[1] = static_cast<std::uint8_t>(v >> 8);
  }
}

void ByteWriter::patch_u32(std::size_t at, std::uint32_t v) {
  std::uint8_t* p = out_.data() + at;
  if (order_ == ByteOrder::big) {
    store_be32(p, v);
  } else {
    for (int i = 0; i < 4; ++i)
      p[i] = static_cast<std::uint8_t>(v >> (8 * i));
  }
}

std::string to_hex(ByteView data, std::size_t max_bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  const std::size_t n = data.size() < max_bytes ? data.size() : max_bytes;
  out.reserve(n * 3 + 4);
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out.push_back(' ');
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xf]);
  }
  if (n < data.size()) out += " ...";
  return out;
}

bool from_hex(const std::string& text, Bytes& out) {
  out.clear();
  int high = -1;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      return false;
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>((high << 4) | v));
      high = -1;
    }
  }
  return high < 0;
}

}  // namespace rpcfit
