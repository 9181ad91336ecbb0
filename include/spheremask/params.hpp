// Scheme parameters (DESIGN §3) and the code-size security estimate.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>

#include "spheremask/export.hpp"

namespace spheremask {

class Expander;

enum class Dtype : uint8_t { F32 = 0, F16 = 1 };

inline size_t dtype_size(Dtype d) { return d == Dtype::F16 ? 2 : 4; }

struct Params {
  uint32_t m = 512;        // template dimension
  uint32_t n = 512;        // code dimension (= m without an expander)
  uint32_t alpha = 16;     // nonzeros of a codeword
  Dtype dtype = Dtype::F32;
  bool allow_weak = false;  // accept codes under 80 bits (tests only)
  std::shared_ptr<const Expander> expander;  // maps m -> n; null = none (then n must equal m)
  std::optional<std::array<uint8_t, 32>> app_key;  // application binding (DESIGN §3)
};

// log2(binom(n, alpha)) + alpha.
SPHEREMASK_API double code_bits(uint32_t n, uint32_t alpha);
// acos((alpha-1)/alpha) in degrees.
SPHEREMASK_API double min_angle_deg(uint32_t alpha);

constexpr double kMinBits = 80.0;
constexpr double kWarnBits = 112.0;

// Throws Error{InvalidArgument | WeakParameters} when the parameters are unusable.
SPHEREMASK_API void validate(const Params& p);

}  // namespace spheremask
