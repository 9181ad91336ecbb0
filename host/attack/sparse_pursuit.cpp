#include "attack/sparse_pursuit.hpp"

#include <cblas.h>

#include <algorithm>
#include <functional>
#include <cmath>
#include <numeric>

#include "crypto/crypto.hpp"
#include "crypto/keyflow.hpp"
#include "spheremask/detail/decode.hpp"
#include "spheremask/keys.hpp"

namespace spheremask::attack {
namespace {

// Dense unit vector of codeword c into row (n floats).
void codeword_vector(const detail::Codeword& c, float* row) {
  std::fill_n(row, c.n, 0.0f);
  const float mag = float(1.0 / std::sqrt(double(c.alpha)));
  for (uint32_t q = 0; q < c.alpha; ++q) row[c.index[q]] = c.negative[q] ? -mag : mag;
}

bool same_codeword(const detail::Codeword& a, const detail::Codeword& b) {
  if (a.alpha != b.alpha) return false;
  for (uint32_t q = 0; q < a.alpha; ++q)
    if (a.index[q] != b.index[q] || a.negative[q] != b.negative[q]) return false;
  return true;
}

}  // namespace

VerifierOracle::~VerifierOracle() {
  for (const auto& key : seen_) secure_zero(const_cast<uint32_t*>(key.data()), key.size() * sizeof(uint32_t));
}

bool VerifierOracle::check(const detail::Codeword& c, detail::Codeword* out) {
  detail::Codeword flipped = c;
  for (uint32_t q = 0; q < c.alpha; ++q) flipped.negative[q] = int8_t(1 - c.negative[q]);
  const detail::Codeword* both[2] = {&c, &flipped};
  for (const detail::Codeword* cand : both) {
    std::vector<uint32_t> key(cand->alpha);
    for (uint32_t q = 0; q < cand->alpha; ++q) key[q] = cand->index[q] * 2 + uint32_t(cand->negative[q]);
    if (!seen_.insert(std::move(key)).second) continue;
    ++checked_;
    const auto v = keyflow::verifier(record_.salt.data(), *cand);
    if (crypto::equal_ct(v.data(), record_.verifier.data(), 32)) {
      *out = *cand;
      flipped.wipe();
      return true;
    }
  }
  flipped.wipe();
  return false;
}

bool VerifierOracle::check_vector(const float* y, detail::Codeword* out) {
  detail::Codeword c;
  if (!detail::decode_codeword(y, record_.n, record_.alpha, &c)) return false;
  const bool hit = check(c, out);
  c.wipe();
  return hit;
}

bool polish(const std::vector<float>& proj, uint32_t n, uint32_t alpha, std::vector<float> rows, size_t count,
            int iterations, VerifierOracle& oracle, detail::Codeword* out) {
  std::vector<float> next(rows.size());
  // The candidates may hold the record's codeword: wipe them however the search ends.
  struct Wipe {
    std::vector<float>& a;
    std::vector<float>& b;
    ~Wipe() { secure_zero(a.data(), a.size() * sizeof(float)); secure_zero(b.data(), b.size() * sizeof(float)); }
  } wipe{rows, next};
  for (int it = 0; it < iterations && count > 0; ++it) {
    // next = rows · Π (Π symmetric): every candidate projected at once.
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(count), int(n), int(n), 1.0f, rows.data(), int(n),
                proj.data(), int(n), 0.0f, next.data(), int(n));
    size_t kept = 0;
    for (size_t i = 0; i < count; ++i) {
      detail::Codeword before, after;
      detail::decode_codeword(rows.data() + i * n, n, alpha, &before);
      if (!detail::decode_codeword(next.data() + i * n, n, alpha, &after)) continue;
      if (oracle.check(after, out)) return true;
      if (same_codeword(before, after)) continue;  // a fixed point: nothing more to gain
      codeword_vector(after, rows.data() + kept * n);
      ++kept;
    }
    count = kept;
  }
  return false;
}

bool greedy_pursuit(const std::vector<float>& proj, uint32_t n, uint32_t alpha, int polish_iterations,
                    VerifierOracle& oracle, detail::Codeword* out) {
  std::vector<float> x(n), candidates(size_t(n) * n, 0.0f);
  std::vector<uint8_t> on(n);
  std::vector<uint32_t> support(alpha);
  std::vector<float> sign(alpha);
  const float mag = float(1.0 / std::sqrt(double(alpha)));
  for (uint32_t j = 0; j < n; ++j) {
    // x = Π·(Σ sign_i e_i) kept incrementally: adding e_i adds row i of Π (O(n) per step, not a GEMV).
    std::copy_n(proj.data() + size_t(j) * n, n, x.data());
    std::fill(on.begin(), on.end(), 0);
    on[j] = 1;
    support[0] = j;
    sign[0] = 1.0f;
    for (uint32_t s = 1; s < alpha; ++s) {
      uint32_t best = 0;
      float best_abs = -1.0f;
      // Adding s·e_i grows ‖Π·x‖² by 2|(Π·x)_i| + Π_ii: take the index that keeps x closest to the subspace.
      for (uint32_t i = 0; i < n; ++i) {
        const float gain = 2.0f * std::fabs(x[i]) + proj[size_t(i) * n + i];
        if (!on[i] && gain > best_abs) { best_abs = gain; best = i; }
      }
      const float sg = x[best] >= 0 ? 1.0f : -1.0f;
      cblas_saxpy(int(n), sg, proj.data() + size_t(best) * n, 1, x.data(), 1);
      on[best] = 1;
      support[s] = best;
      sign[s] = sg;
    }
    float* row = candidates.data() + size_t(j) * n;
    for (uint32_t s = 0; s < alpha; ++s) row[support[s]] = sign[s] * mag;
    if (oracle.check_vector(row, out)) {
      secure_zero(candidates.data(), candidates.size() * sizeof(float));
      return true;
    }
  }
  return polish(proj, n, alpha, std::move(candidates), n, polish_iterations, oracle, out);
}

bool l1_pursuit(const std::vector<float>& basis, const std::vector<float>& proj, uint32_t n, uint32_t k,
                uint32_t alpha, size_t starts, int iterations, int polish_iterations, VerifierOracle& oracle,
                detail::Codeword* out) {
  starts = std::min<size_t>(starts, n);
  std::vector<double> row_norm(n);
  for (uint32_t j = 0; j < n; ++j) row_norm[j] = cblas_snrm2(int(k), basis.data() + size_t(j) * k, 1);
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::partial_sort(order.begin(), order.begin() + starts, order.end(),
                    [&](uint32_t a, uint32_t b) { return row_norm[a] > row_norm[b] || (row_norm[a] == row_norm[b] && a < b); });
  // q (k) per start, as rows; x = B·q is the start's vector in Rⁿ (unit, since B has orthonormal columns).
  std::vector<float> q(starts * k), x(starts * size_t(n));
  for (size_t s = 0; s < starts; ++s) {
    const float inv = float(1.0 / std::max(row_norm[order[s]], 1e-30));
    for (uint32_t c = 0; c < k; ++c) q[s * k + c] = basis[size_t(order[s]) * k + c] * inv;
  }
  // Continuation: the soft threshold of row s is its `keep`-th largest magnitude, with `keep` shrinking
  // geometrically from n/2 to α over the first iterations and staying at α for the last quarter, so
  // each row is pulled towards the sparsest direction near it rather than frozen by a fixed λ.
  const int ramp = std::max(1, iterations - iterations / 4);
  const double ratio = std::pow(double(alpha) / std::max(double(n) / 2, double(alpha)), 1.0 / ramp);
  std::vector<float> mags(n);
  for (int it = 0; it < iterations; ++it) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(starts), int(n), int(k), 1.0f, q.data(), int(k),
                basis.data(), int(k), 0.0f, x.data(), int(n));  // x = q·Bᵀ
    if (it % 5 == 4 || it + 1 == iterations)
      for (size_t s = 0; s < starts; ++s)
        if (oracle.check_vector(x.data() + s * n, out)) return true;
    const uint32_t keep = uint32_t(std::max(double(alpha), std::round(double(n) / 2 * std::pow(ratio, std::min(it, ramp)))));
    for (size_t s = 0; s < starts; ++s) {
      float* row = x.data() + s * n;
      for (uint32_t i = 0; i < n; ++i) mags[i] = std::fabs(row[i]);
      std::nth_element(mags.begin(), mags.begin() + keep, mags.end(), std::greater<float>());
      const float lambda = mags[keep];  // the (keep+1)-th largest: exactly `keep` entries survive
      for (uint32_t i = 0; i < n; ++i) {
        const float v = row[i];
        row[i] = v > lambda ? v - lambda : (v < -lambda ? v + lambda : 0.0f);
      }
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(starts), int(k), int(n), 1.0f, x.data(), int(n),
                basis.data(), int(k), 0.0f, q.data(), int(k));  // q = soft(x)·B
    for (size_t s = 0; s < starts; ++s) {
      const float nr = cblas_snrm2(int(k), q.data() + s * k, 1);
      if (nr > 0) cblas_sscal(int(k), 1.0f / nr, q.data() + s * k, 1);
    }
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(starts), int(n), int(k), 1.0f, q.data(), int(k),
              basis.data(), int(k), 0.0f, x.data(), int(n));
  std::vector<float> rounded(starts * size_t(n));
  for (size_t s = 0; s < starts; ++s) {
    detail::Codeword c;
    if (detail::decode_codeword(x.data() + s * n, n, alpha, &c)) codeword_vector(c, rounded.data() + s * n);
    c.wipe();
  }
  return polish(proj, n, alpha, std::move(rounded), starts, polish_iterations, oracle, out);
}

}  // namespace spheremask::attack
