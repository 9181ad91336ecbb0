// Seeded, NON-secret randomness for expander initialization checks, training batches, inspection,
// evaluation and security estimates: a ChaCha20 word stream keyed by SHA-256(label ‖ seed), so results
// are reproducible on every platform (std:: distributions are not). Never use it for secrets.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>

#include "crypto/crypto.hpp"
#include "spheremask/detail/chacha20.hpp"

namespace spheremask::internal {

class SimRng {
 public:
  SimRng(const std::string& label, uint64_t seed) : stream_(key(label, seed).data()) {}

  uint32_t u32() { return stream_.next(); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() {
    const uint64_t hi = u32() >> 5, lo = u32() >> 6;
    return double(hi * 67108864ull + lo) * (1.0 / 9007199254740992.0);
  }
  // Uniform in [0, bound) by rejection.
  uint32_t below(uint32_t bound) {
    const uint32_t limit = uint32_t(0) - (uint32_t(0) - bound) % bound;  // 2^32 − (2^32 mod bound)
    for (;;) {
      const uint32_t w = u32();
      if (limit == 0 || w < limit) return w % bound;
    }
  }
  double gaussian() {
    if (have_spare_) { have_spare_ = false; return spare_; }
    const double u1 = 1.0 - uniform(), u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(6.283185307179586 * u2);
    have_spare_ = true;
    return r * std::cos(6.283185307179586 * u2);
  }
  // A uniform point of the unit sphere in R^dim.
  void unit_vector(float* out, uint32_t dim) {
    double norm2 = 0;
    for (uint32_t j = 0; j < dim; ++j) { out[j] = float(gaussian()); norm2 += double(out[j]) * out[j]; }
    const double inv = 1.0 / std::sqrt(norm2);
    for (uint32_t j = 0; j < dim; ++j) out[j] = float(out[j] * inv);
  }
  // A uniform unit vector orthogonal to the unit vector `to`.
  void unit_orthogonal(const float* to, float* out, uint32_t dim) {
    unit_vector(out, dim);
    double dot = 0;
    for (uint32_t j = 0; j < dim; ++j) dot += double(out[j]) * to[j];
    double norm2 = 0;
    for (uint32_t j = 0; j < dim; ++j) { out[j] = float(out[j] - dot * to[j]); norm2 += double(out[j]) * out[j]; }
    const double inv = 1.0 / std::sqrt(norm2);
    for (uint32_t j = 0; j < dim; ++j) out[j] = float(out[j] * inv);
  }
  // A unit vector at `angle_rad` from the unit vector t.
  void at_angle(const float* t, double angle_rad, float* out, uint32_t dim) {
    unit_orthogonal(t, out, dim);
    const double c = std::cos(angle_rad), s = std::sin(angle_rad);
    for (uint32_t j = 0; j < dim; ++j) out[j] = float(c * t[j] + s * out[j]);
  }

 private:
  static crypto::Digest key(const std::string& label, uint64_t seed) {
    const std::string l = "spheremask/v1/sim/" + label;
    uint8_t s[8];
    for (int i = 0; i < 8; ++i) s[i] = uint8_t(seed >> (8 * i));
    return crypto::Sha256().update(l.data(), l.size()).update(s, 8).final();
  }
  detail::ChachaWordStream stream_;
  double spare_ = 0;
  bool have_spare_ = false;
};

}  // namespace spheremask::internal
