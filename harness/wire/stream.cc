#include "harness/wire/stream.h"

#include "harness/wire/codec.h"

namespace rpcfit::wire {

void StreamSplitter::feed(ByteView data) {
  if (failure_) return;  // nothing can be parsed until resync()
  // Drop consumed bytes before growing, so the buffer holds at most one partial PDU plus the new
  // data.
  if (start_ > 0 && (start_ >= buf_.size() / 2 || buf_.size() + data.size() > buf_.capacity())) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(start_));
    base_ += start_;
    start_ = 0;
  }
  buf_.insert(buf_.end(), data.begin(), data.end());
}

std::optional<Result<StreamFrame, Error>> StreamSplitter::next() {
  if (failure_) return Result<StreamFrame, Error>(unexpected(*failure_));
  if (buffered() < kCoHeaderSize) return std::nullopt;
  const ByteView head(buf_.data() + start_, buffered());
  auto frag = check_co_header(head.first(kCoHeaderSize));
  if (!frag) {
    failure_ = frag.error();
  } else if (*frag > limits_.max_fragment) {
    failure_ = Error{ErrorCode::limit_exceeded, "frag_length", 8,
                     std::to_string(*frag) + " exceeds the " +
                         std::to_string(limits_.max_fragment) + "-byte fragment limit"};
  }
  if (failure_) {
    failure_->detail += " (PDU at stream offset " + std::to_string(position()) + ")";
    return Result<StreamFrame, Error>(unexpected(*failure_));
  }
  if (buffered() < *frag) return std::nullopt;
  StreamFrame out;
  out.bytes.assign(head.begin(), head.begin() + static_cast<std::ptrdiff_t>(*frag));
  out.begin = position();
  out.end = out.begin + *frag;
  start_ += *frag;
  return Result<StreamFrame, Error>(std::move(out));
}

void StreamSplitter::resync(std::uint64_t offset) {
  buf_.clear();
  start_ = 0;
  base_ = offset;
  failure_.reset();
}

}  // namespace rpcfit::wire
