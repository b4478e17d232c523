#include "harness/core/random.h"

#include <random>

namespace rpcfit {
namespace {

constexpr std::uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL;

// splitmix64's output function: a bijection that spreads every input bit over the output.
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

}  // namespace

Random::Random(std::uint64_t seed) : seed_(seed) {
  // The seeding xoshiro's authors recommend: consecutive splitmix64 outputs, which cannot all be
  // zero because mix() is a bijection with mix(0) == 0 and the inputs differ.
  std::uint64_t x = seed;
  for (auto& word : s_) {
    x += kGoldenGamma;
    word = mix(x);
  }
}

std::uint64_t Random::next() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Random::uniform() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

std::uint64_t Random::below(std::uint64_t n) {
  if (n <= 1) {
    next();
    return 0;
  }
  // 2^64 mod n raw values at the bottom would be hit once more than the rest; skip them.
  const std::uint64_t threshold = (0 - n) % n;
  for (;;) {
    const std::uint64_t r = next();
    if (r >= threshold) return r % n;
  }
}

bool Random::chance(double p) {
  const double u = uniform();
  if (!(p > 0.0)) return false;
  if (p >= 1.0) return true;
  return u < p;
}

Random Random::fork(std::uint64_t stream) const {
  return Random(mix(seed_ ^ mix(stream + kGoldenGamma)));
}

std::uint64_t fresh_seed() {
  std::random_device device;
  const std::uint64_t hi = device();
  const std::uint64_t lo = device();
  return (hi << 32) ^ lo;
}

}  // namespace rpcfit
