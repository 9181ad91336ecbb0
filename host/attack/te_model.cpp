#include "attack/te_model.hpp"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "expander/expander_rng.hpp"
#include "spheremask/error.hpp"

namespace spheremask::attack {

TeModel fit_te_model(const Expander& e, uint64_t seed, size_t samples) {
  TeModel model;
  const uint32_t m = e.input_dim(), n = e.output_dim();
  model.m = m;
  model.n = n;
  model.k = m + 1;
  if (model.k >= n)
    throw Error(ErrorCode::InvalidArgument, "attack model: the expander maps " + std::to_string(m) + " -> " +
                                                std::to_string(n) + ", leaving no proper subspace (need n > m + 1)");
  const size_t cols = size_t(m) + 1;
  if (samples == 0) samples = std::max<size_t>(2048, 4 * cols);
  if (samples <= cols)
    throw Error(ErrorCode::InvalidArgument, "attack model needs more than m+1 = " + std::to_string(cols) + " samples");

  internal::SimRng rng("attack/te-model", seed);
  std::vector<float> t(samples * m), y(samples * n);
  for (size_t i = 0; i < samples; ++i) rng.unit_vector(t.data() + i * m, m);
  e.forward(t.data(), samples, y.data());

  // Mean unit output (the no-search leak) and the principal subspace of the uncentered outputs.
  model.mean.assign(n, 0.0f);
  for (size_t i = 0; i < samples; ++i)
    for (uint32_t j = 0; j < n; ++j) model.mean[j] += y[i * n + j] / float(samples);
  std::vector<float> gram(size_t(n) * n, 0.0f);
  cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, int(n), int(samples), 1.0f, y.data(), int(n), 0.0f, gram.data(),
              int(n));
  double total = 0;
  for (uint32_t j = 0; j < n; ++j) total += gram[size_t(j) * n + j];
  std::vector<float> eig(n);
  std::vector<lapack_int> isuppz(2 * size_t(n));
  model.basis.assign(size_t(n) * model.k, 0.0f);
  lapack_int found = 0;
  lapack_int info = LAPACKE_ssyevr(LAPACK_ROW_MAJOR, 'V', 'I', 'U', int(n), gram.data(), int(n), 0, 0,
                                   int(n - model.k + 1), int(n), 0.0f, &found, eig.data(), model.basis.data(),
                                   int(model.k), isuppz.data());
  if (info != 0 || found != lapack_int(model.k))
    throw Error(ErrorCode::Backend, "attack model: eigen-decomposition failed: info " + std::to_string(info));
  double inside = 0;
  for (uint32_t j = 0; j < model.k; ++j) inside += eig[j];
  model.outside_energy = std::max(0.0, 1.0 - inside / total);

  // Affine fit Y ≈ [T 1]·X, X = [Lᵀ; bᵀ] ((m+1)×n), by least squares.
  std::vector<float> a(samples * cols), x(y);
  for (size_t i = 0; i < samples; ++i) {
    std::copy_n(t.data() + i * m, m, a.data() + i * cols);
    a[i * cols + m] = 1.0f;
  }
  const std::vector<float> a_copy(a);
  info = LAPACKE_sgels(LAPACK_ROW_MAJOR, 'N', int(samples), int(cols), int(n), a.data(), int(cols), x.data(), int(n));
  if (info != 0) throw Error(ErrorCode::Backend, "attack model: affine least squares failed: info " + std::to_string(info));
  std::vector<float> fit(y);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(samples), int(n), int(cols), -1.0f, a_copy.data(),
              int(cols), x.data(), int(n), 1.0f, fit.data(), int(n));
  double res2 = 0, y2 = 0;
  for (size_t i = 0; i < samples * n; ++i) { res2 += double(fit[i]) * fit[i]; y2 += double(y[i]) * y[i]; }
  model.affine_residual = std::sqrt(res2 / y2);
  model.offset.assign(x.begin() + size_t(m) * n, x.begin() + size_t(m + 1) * n);

  // Pseudo-inverse of L (n×m): (LᵀL + μI)⁻¹Lᵀ, with Lᵀ = the first m rows of X.
  std::vector<float> lt(x.begin(), x.begin() + size_t(m) * n), ltl(size_t(m) * m, 0.0f);
  cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, int(m), int(n), 1.0f, lt.data(), int(n), 0.0f, ltl.data(), int(m));
  // A small ridge keeps the pull-back defined when training collapsed some input directions.
  double trace = 0;
  for (uint32_t i = 0; i < m; ++i) trace += ltl[size_t(i) * m + i];
  for (uint32_t i = 0; i < m; ++i) ltl[size_t(i) * m + i] += float(1e-4 * trace / m + 1e-12);
  info = LAPACKE_spotrf(LAPACK_ROW_MAJOR, 'U', int(m), ltl.data(), int(m));
  if (info == 0) info = LAPACKE_spotrs(LAPACK_ROW_MAJOR, 'U', int(m), int(n), ltl.data(), int(m), lt.data(), int(n));
  if (info != 0)
    throw Error(ErrorCode::Backend, "attack model: the affine fit is rank-deficient (info " + std::to_string(info) + ")");
  model.l_pinv = std::move(lt);
  return model;
}

}  // namespace spheremask::attack
