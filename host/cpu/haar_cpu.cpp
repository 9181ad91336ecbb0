#include "cpu/haar_cpu.hpp"

#include <lapacke.h>

#include <cmath>
#include <string>

#include "spheremask/detail/gaussian.hpp"
#include "spheremask/detail/householder.hpp"
#include "spheremask/error.hpp"
#include "spheremask/keys.hpp"

namespace spheremask::internal {

HaarWorkspace::HaarWorkspace(uint32_t n) : n_(n), a_(size_t(n) * n), tau_(n), sign_(n) {
  float query = 0;
  const lapack_int info = LAPACKE_sorgqr_work(LAPACK_COL_MAJOR, n, n, n - 1, a_.data(), n, tau_.data(), &query, -1);
  if (info != 0) throw Error(ErrorCode::Backend, "LAPACKE_sorgqr workspace query failed: info " + std::to_string(info));
  work_.resize(size_t(query) + 1);
}

HaarWorkspace::~HaarWorkspace() {
  secure_zero(a_.data(), a_.size() * sizeof(float));
  secure_zero(tau_.data(), tau_.size() * sizeof(float));
  secure_zero(sign_.data(), sign_.size() * sizeof(float));
  secure_zero(work_.data(), work_.size() * sizeof(float));
}

void householder_vectors(const uint8_t key[32], uint32_t n, float* a, float* tau, float* sign) {
  uint32_t kw[8];
  detail::key_words(key, kw);
  for (uint32_t k = 0; k + 1 < n; ++k) {
    // x_k = stream elements k·n + j, j < n−k, stored at rows k.. of column k.
    float* x = a + size_t(k) * n + k;
    const uint32_t len = n - k;
    detail::gaussian_range(kw, uint64_t(k) * n, len, x);
    double norm2 = 0;
    for (uint32_t j = 0; j < len; ++j) norm2 += double(x[j]) * x[j];
    const detail::HouseholderStep step = detail::householder_step(x[0], norm2);
    for (uint32_t j = 1; j < len; ++j) x[j] = detail::householder_scaled(x[j], step.scale);
    x[0] = 1.0f;
    tau[k] = step.tau;
    sign[k] = step.sign;
  }
  tau[n - 1] = 0;
  sign[n - 1] = detail::householder_last_sign(detail::gaussian_element(kw, uint64_t(n - 1) * n));
  secure_zero(kw, sizeof kw);
}

const float* HaarWorkspace::generate(const uint8_t key[32]) {
  const uint32_t n = n_;
  householder_vectors(key, n, a_.data(), tau_.data(), sign_.data());
  const lapack_int info = LAPACKE_sorgqr_work(LAPACK_COL_MAJOR, n, n, n - 1, a_.data(), n, tau_.data(),
                                              work_.data(), lapack_int(work_.size()));
  if (info != 0) throw Error(ErrorCode::Backend, "LAPACKE_sorgqr failed: info " + std::to_string(info));
  // Q ← Q·diag(sign β): scales column k.
  for (uint32_t k = 0; k < n; ++k)
    if (sign_[k] < 0) {
      float* col = a_.data() + size_t(k) * n;
      for (uint32_t i = 0; i < n; ++i) col[i] = -col[i];
    }
  return a_.data();
}

void haar_row_major(const uint8_t key[32], uint32_t n, float* q) {
  HaarWorkspace ws(n);
  const float* cm = ws.generate(key);
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t j = 0; j < n; ++j) q[size_t(i) * n + j] = cm[i + size_t(j) * n];
}

}  // namespace spheremask::internal
