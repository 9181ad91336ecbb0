#include "expander/cpu_ops.hpp"

#include <cblas.h>

#include <cmath>

#include "util/finite.hpp"

namespace spheremask::internal {
namespace {
CBLAS_TRANSPOSE op(bool trans) { return trans ? CblasTrans : CblasNoTrans; }
}  // namespace

void CpuTeOps::gemm(const ColMajorGemm& g, float alpha, const float* a, const float* b, float* c) {
  if (g.m == 0 || g.n == 0) return;
  // Column-major C = op(A)·op(B) is row-major Cᵀ = op(B)ᵀ·op(A)ᵀ: issued row-major, the form the net's
  // products had before the step was shared, so OpenBLAS picks the same kernels and results stay bitwise.
  cblas_sgemm(CblasRowMajor, op(g.trans_b), op(g.trans_a), g.n, g.m, g.k, alpha, b, g.ldb, a, g.lda, 0.0f, c, g.ldc);
}

void CpuTeOps::syrk(const ColMajorSyrk& g, const float* a, float* c) {
  if (g.n == 0) return;
  // OpenBLAS's upper and lower kernels round some entries differently. The CPU net has always computed
  // the row-major upper triangle (the column-major lower one), so that one is computed and mirrored into
  // the upper triangle the contract names: trained weights stay bitwise what they were.
  cblas_ssyrk(CblasColMajor, CblasLower, op(g.trans), g.n, g.k, 1.0f, a, g.lda, 0.0f, c, g.ldc);
  for (int j = 1; j < g.n; ++j)
    for (int i = 0; i < j; ++i) c[i + size_t(j) * g.ldc] = c[j + size_t(i) * g.ldc];
}

void CpuTeOps::axpy(size_t count, float alpha, const float* x, float* y) { cblas_saxpy(int(count), alpha, x, 1, y, 1); }

void CpuTeOps::activate(size_t count, uint32_t len, TeAct act, bool fold, const float* z, float* y, float* norm) {
  const uint32_t h = fold ? len / 2 : 0;
  for (size_t r = 0; r < count; ++r) {
    const float* zr = z + r * len;
    float* yr = y + r * len;
    for (uint32_t j = 0; j < len; ++j) detail::activate_owned(j, h, act, zr, yr);
    double norm2 = 0;
    for (uint32_t j = 0; j < len; ++j) norm2 += double(yr[j]) * yr[j];
    norm[r] = float(std::sqrt(norm2));
    const float inv = detail::inverse_norm(norm[r]);
    for (uint32_t j = 0; j < len; ++j) yr[j] *= inv;
  }
}

void CpuTeOps::gram_weights(size_t count, const detail::GramArgs& g, const float* gin, const float* gout, float* s,
                            double* partial) {
  for (uint32_t i = 0; i < count; ++i) {
    double acc = 0;
    for (uint32_t j = 0; j < count; ++j) acc += detail::gram_entry(i, j, count, g, gin, gout, s + size_t(i) * count);
    partial[i] = acc;
  }
}

void CpuTeOps::layer_backward(size_t count, uint32_t len, TeAct act, bool fold, const float* dy, const float* y,
                              const float* norm, const float* z, float* dz) {
  const uint32_t h = fold ? len / 2 : 0;
  for (size_t r = 0; r < count; ++r) {
    const size_t off = r * len;
    double dot = 0;
    for (uint32_t j = 0; j < len; ++j) dot += double(y[off + j]) * dy[off + j];
    const float inv = detail::inverse_norm(norm[r]);
    for (uint32_t j = 0; j < len; ++j)
      dz[off + j] = detail::backward_element(j, h, act, dy + off, y + off, float(dot), inv, z + off);
  }
}

void CpuTeOps::adam(size_t count, const detail::AdamStep& a, const float* g, float* m, float* v, float* p) {
  for (size_t k = 0; k < count; ++k) detail::adam_element(a, g[k], m[k], v[k], p[k]);
}

void CpuTeOps::flag_nonfinite(size_t count, const float* p, int* flag) {
  if (first_non_finite(p, count) < count) *flag = 1;
}

}  // namespace spheremask::internal
