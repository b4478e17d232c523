// Turns a connection-oriented byte stream, split anywhere, into PDUs. It trusts no length before
// checking the header, and buffers at most one fragment.
#pragma once

#include <cstdint>
#include <optional>

#include "harness/core/result.h"
#include "harness/wire/error.h"
#include "harness/wire/pdu.h"

namespace rpcfit::wire {

struct StreamLimits {
  std::size_t max_fragment = kMaxCoFragment;  // frag_length above this is rejected
};

// One PDU cut from the stream: its bytes and where it lies in the stream (begin inclusive, end
// exclusive, counted from the first byte fed).
struct StreamFrame {
  Bytes bytes;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

class StreamSplitter {
 public:
  explicit StreamSplitter(StreamLimits limits = {}) : limits_(limits) {}

  void feed(ByteView data);
  // The next whole PDU, nullopt while more bytes are needed, or an error when the stream does not
  // hold a valid header where the next PDU should start. After an error the splitter stays failed
  // (returning the same error) until resync().
  std::optional<Result<StreamFrame, Error>> next();
  // Drops everything buffered and starts afresh at stream offset `offset` (for a reader that skips
  // a gap or resynchronises at a segment boundary).
  void resync(std::uint64_t offset);

  std::size_t buffered() const { return buf_.size() - start_; }
  // The bytes fed and not yet taken as PDUs (after an error, from where the bad header starts).
  ByteView pending() const { return ByteView(buf_.data() + start_, buffered()); }
  std::uint64_t position() const { return base_ + start_; }
  bool failed() const { return failure_.has_value(); }

 private:
  StreamLimits limits_;
  Bytes buf_;
  std::size_t start_ = 0;   // first unconsumed byte in buf_
  std::uint64_t base_ = 0;  // stream offset of buf_[0]
  std::optional<Error> failure_;
};

}  // namespace rpcfit::wire
