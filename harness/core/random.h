// Random: the one source of randomness for faults and behaviours, seeded so that a run can be
// replayed. The sequence is xoshiro256** seeded through splitmix64, written out here so that a seed
// gives the same numbers on every platform and standard library (std::uniform_*_distribution is
// implementation-defined and would not).
#pragma once

#include <array>
#include <cstdint>

namespace rpcfit {

class Random {
 public:
  explicit Random(std::uint64_t seed);

  // The next raw 64-bit value.
  std::uint64_t next();
  // Uniform in [0, 1), with 53 random bits; one draw.
  double uniform();
  // Uniform in [0, n) without modulo bias (rejects the few raw values that would bias it, so it
  // may take more than one draw). below(0) and below(1) return 0 after one draw.
  std::uint64_t below(std::uint64_t n);
  // True with probability p. Exactly one draw whatever p is (p <= 0 never, p >= 1 always, NaN
  // never), so that a caller's later decisions do not shift when a probability changes.
  bool chance(double p);

  // The seed this generator was made from (for a fork, the derived seed).
  std::uint64_t seed() const { return seed_; }

  // An independent generator for stream `stream`, derived from the seed alone: the same seed and
  // stream give the same generator however many draws this one has made.
  Random fork(std::uint64_t stream) const;

 private:
  std::uint64_t seed_;
  std::array<std::uint64_t, 4> s_{};
};

// A seed from std::random_device, for runs given none; callers print and report it.
std::uint64_t fresh_seed();

}  // namespace rpcfit
