#include "harness/core/digest.h"

#include <gtest/gtest.h>

namespace rpcfit {
namespace {

// The published FNV-1a 64 test vectors, so that digests written into scenario files and goldens
// are those any other implementation computes.
TEST(Digest, Fnv1a64KnownVectors) {
  EXPECT_EQ(hex64(fnv1a64(std::string_view{})), "cbf29ce484222325");
  EXPECT_EQ(hex64(fnv1a64(std::string_view{"a"})), "af63dc4c8601ec8c");
  EXPECT_EQ(hex64(fnv1a64(std::string_view{"foobar"})), "85944171f73967e8");
  const Bytes a{'a'};
  EXPECT_EQ(fnv1a64(ByteView(a)), fnv1a64(std::string_view{"a"}));
  EXPECT_EQ(digest_text(a), "fnv1a64:af63dc4c8601ec8c");
}

}  // namespace
}  // namespace rpcfit
