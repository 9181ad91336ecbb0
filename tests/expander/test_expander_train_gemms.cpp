// The trainer's GEMM argument sets (host/expander/train_gemms.hpp; cuBLAS on the GPU) checked on the CPU: each runs through
// cblas with CblasColMajor — the same column-major semantics as cuBLAS — on row-major operands, and
// must give the row-major product it is documented to compute. Runs without a GPU (cpu label).
#include <cblas.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "expander/train_gemms.hpp"

namespace spheremask::internal {
namespace {

std::vector<float> random_matrix(size_t rows, size_t cols, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> m(rows * cols);
  for (float& v : m) v = dist(gen);
  return m;
}

// Row-major C (r × c) = A (r × k) · B (k × c) with optional transposes given as stored row-major
// matrices: at(A, i, p) reads A[i][p] or A[p][i].
template <class FA, class FB>
std::vector<double> product(size_t r, size_t c, size_t k, FA a, FB b) {
  std::vector<double> out(r * c);
  for (size_t i = 0; i < r; ++i)
    for (size_t j = 0; j < c; ++j) {
      double s = 0;
      for (size_t p = 0; p < k; ++p) s += double(a(i, p)) * b(p, j);
      out[i * c + j] = s;
    }
  return out;
}

std::vector<float> run(const ColMajorGemm& g, float alpha, const float* a, const float* b, size_t c_size) {
  std::vector<float> c(c_size, std::nanf(""));
  cblas_sgemm(CblasColMajor, g.trans_a ? CblasTrans : CblasNoTrans, g.trans_b ? CblasTrans : CblasNoTrans, g.m, g.n,
              g.k, alpha, a, g.lda, b, g.ldb, 0.0f, c.data(), g.ldc);
  return c;
}

void expect_close(const std::vector<float>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < got.size(); ++k) ASSERT_NEAR(got[k], want[k], 1e-4 * (1 + std::abs(want[k]))) << "element " << k;
}

// Odd, distinct sizes so that a swapped dimension or leading dimension cannot pass by accident.
constexpr uint32_t kRows = 7, kCols = 11;
constexpr size_t kCount = 5;

TEST(ExpanderTrainGemms, ForwardIsXTimesWTransposed) {
  const auto w = random_matrix(kRows, kCols, 1), x = random_matrix(kCount, kCols, 2);
  const auto z = run(gemm_forward(kRows, kCols, kCount), 1.0f, w.data(), x.data(), kCount * kRows);
  expect_close(z, product(kCount, kRows, kCols, [&](size_t i, size_t p) { return x[i * kCols + p]; },
                          [&](size_t p, size_t j) { return w[j * kCols + p]; }));
}

TEST(ExpanderTrainGemms, WeightGradientIsDzTransposedTimesX) {
  const auto x = random_matrix(kCount, kCols, 3), dz = random_matrix(kCount, kRows, 4);
  const auto dw = run(gemm_weight_grad(kRows, kCols, kCount), 1.0f, x.data(), dz.data(), size_t(kRows) * kCols);
  expect_close(dw, product(kRows, kCols, kCount, [&](size_t i, size_t p) { return dz[p * kRows + i]; },
                           [&](size_t p, size_t j) { return x[p * kCols + j]; }));
}

TEST(ExpanderTrainGemms, InputGradientIsDzTimesW) {
  const auto w = random_matrix(kRows, kCols, 5), dz = random_matrix(kCount, kRows, 6);
  const auto dx = run(gemm_input_grad(kRows, kCols, kCount), 1.0f, w.data(), dz.data(), kCount * kCols);
  expect_close(dx, product(kCount, kCols, kRows, [&](size_t i, size_t p) { return dz[i * kRows + p]; },
                           [&](size_t p, size_t j) { return w[p * kCols + j]; }));
}

TEST(ExpanderTrainGemms, OutputGradientIsFourSTimesY) {
  const uint32_t n = 9;
  auto s = random_matrix(kCount, kCount, 7);
  for (size_t i = 0; i < kCount; ++i)
    for (size_t j = 0; j < i; ++j) s[i * kCount + j] = s[j * kCount + i];  // symmetric, as W∘D
  const auto y = random_matrix(kCount, n, 8);
  const auto dy = run(gemm_output_grad(kCount, n), 4.0f, y.data(), s.data(), kCount * n);
  auto want = product(kCount, n, kCount, [&](size_t i, size_t p) { return s[i * kCount + p]; },
                      [&](size_t p, size_t j) { return y[p * n + j]; });
  for (double& v : want) v *= 4;
  expect_close(dy, want);
}

TEST(ExpanderTrainGemms, GramIsXXTransposedInTheUpperTriangle) {
  const uint32_t k = 13;
  const auto x = random_matrix(kCount, k, 9);
  const ColMajorSyrk g = syrk_gram(kCount, k);
  std::vector<float> c(kCount * kCount, std::nanf(""));
  cblas_ssyrk(CblasColMajor, CblasUpper, g.trans ? CblasTrans : CblasNoTrans, g.n, g.k, 1.0f, x.data(), g.lda, 0.0f,
              c.data(), g.ldc);
  for (size_t i = 0; i < kCount; ++i)
    for (size_t j = i; j < kCount; ++j) {
      double want = 0;
      for (size_t p = 0; p < k; ++p) want += double(x[i * k + p]) * x[j * k + p];
      EXPECT_NEAR(c[i + j * kCount], want, 1e-4) << i << "," << j;  // where gram_weights_kernel reads it
    }
}

}  // namespace
}  // namespace spheremask::internal
