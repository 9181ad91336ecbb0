// Small helpers shared by the foundation tests: hex, the golden seed, deterministic test templates
// and probes at an exact angle. Test data only; nothing here is secret.
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numbers>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keyflow.hpp"
#include "util/hex.hpp"
#include "spheremask/detail/chacha20.hpp"
#include "spheremask/detail/gaussian.hpp"

namespace spheremask::testing {

// Test vectors are written by hand: a malformed one is a bug in the test, so it throws.
inline std::vector<uint8_t> from_hex(std::string_view hex) {
  std::vector<uint8_t> out(hex.size() / 2);
  if (!internal::from_hex(hex, out)) throw std::invalid_argument("malformed hex test vector");
  return out;
}

inline std::array<uint8_t, 32> from_hex32(std::string_view hex) {
  std::array<uint8_t, 32> out{};
  if (!internal::from_hex(hex, out)) throw std::invalid_argument("malformed 32-byte hex test vector");
  return out;
}

using internal::to_hex;

// The seed of golden.json: bytes 0..31.
inline std::array<uint8_t, 32> golden_seed() {
  std::array<uint8_t, 32> s{};
  for (int i = 0; i < 32; ++i) s[i] = uint8_t(i);
  return s;
}

// Stream elements [0, count) of a 32-byte key (DESIGN §3 Gaussian stream).
inline std::vector<float> gaussian_stream(const uint8_t key[32], size_t count, uint64_t first = 0) {
  uint32_t kw[8];
  detail::key_words(key, kw);
  std::vector<float> out(count);
  detail::gaussian_range(kw, first, count, out.data());
  return out;
}

inline void normalize(float* v, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += double(v[i]) * v[i];
  const double inv = 1.0 / std::sqrt(s);
  for (size_t i = 0; i < n; ++i) v[i] = float(v[i] * inv);
}

// count unit rows of dimension n (non-secret test data from a fixed mt19937 seed).
inline std::vector<float> random_unit_rows(size_t count, size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  std::vector<float> out(count * n);
  for (auto& x : out) x = float(g(rng));
  for (size_t i = 0; i < count; ++i) normalize(out.data() + i * n, n);
  return out;
}

// A unit vector at exactly `deg` degrees from unit t, the direction otherwise uniform:
// cosθ·t + sinθ·v with v a random unit vector orthogonal to t (computed in double).
inline std::vector<float> at_angle(const float* t, size_t n, double deg, std::mt19937& rng) {
  std::normal_distribution<double> g;
  std::vector<double> v(n), td(t, t + n);
  double tn = 0;
  for (double x : td) tn += x * x;
  tn = std::sqrt(tn);
  for (auto& x : td) x /= tn;
  for (auto& x : v) x = g(rng);
  double dot = 0;
  for (size_t i = 0; i < n; ++i) dot += v[i] * td[i];
  double vn = 0;
  for (size_t i = 0; i < n; ++i) { v[i] -= dot * td[i]; vn += v[i] * v[i]; }
  vn = std::sqrt(vn);
  const double th = deg * std::numbers::pi / 180.0;
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = float(std::cos(th) * td[i] + std::sin(th) * v[i] / vn);
  return out;
}

inline double angle_deg(const float* a, const float* b, size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; ++i) { ab += double(a[i]) * b[i]; aa += double(a[i]) * a[i]; bb += double(b[i]) * b[i]; }
  return std::acos(std::clamp(ab / std::sqrt(aa * bb), -1.0, 1.0)) * 180.0 / std::numbers::pi;
}

// Record P as f32 (f32 records only).
inline std::vector<float> p_as_floats(const std::vector<uint8_t>& p) {
  std::vector<float> out(p.size() / 4);
  std::memcpy(out.data(), p.data(), out.size() * 4);
  return out;
}

}  // namespace spheremask::testing
