#include "spheremask/expander_inspect.hpp"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "expander/expander_rng.hpp"
#include "spheremask/error.hpp"

namespace spheremask {
namespace {

constexpr double kDeg = 57.29577951308232;

double angle_deg(const float* a, const float* b, uint32_t dim) {
  double dot = 0, na = 0, nb = 0;
  for (uint32_t j = 0; j < dim; ++j) { dot += double(a[j]) * b[j]; na += double(a[j]) * a[j]; nb += double(b[j]) * b[j]; }
  return std::acos(std::clamp(dot / std::sqrt(na * nb), -1.0, 1.0)) * kDeg;
}

}  // namespace

std::vector<DistortionRow> measure_distortion(const Expander& e, const InspectOptions& o) {
  const uint32_t m = e.input_dim(), n = e.output_dim();
  const size_t pairs = std::max<size_t>(o.pairs_per_angle, 1);
  std::vector<DistortionRow> rows;
  internal::SimRng rng("inspect/distortion", o.seed);
  std::vector<float> in(2 * pairs * m), out(2 * pairs * n);
  for (double phi : o.angles_deg) {
    // Rows 2k and 2k+1 form pair k.
    for (size_t k = 0; k < pairs; ++k) {
      float* a = in.data() + 2 * k * m;
      rng.unit_vector(a, m);
      rng.at_angle(a, phi / kDeg, a + m, m);
    }
    e.forward(in.data(), 2 * pairs, out.data());
    std::vector<double> err(pairs);
    DistortionRow r;
    r.input_deg = phi;
    for (size_t k = 0; k < pairs; ++k) {
      const double psi = angle_deg(out.data() + 2 * k * n, out.data() + (2 * k + 1) * n, n);
      r.mean_output_deg += psi / double(pairs);
      err[k] = std::abs(psi - phi);
      r.mean_abs_error_deg += err[k] / double(pairs);
    }
    std::sort(err.begin(), err.end());
    r.p99_abs_error_deg = err[size_t(std::ceil(0.99 * double(pairs))) - 1];
    rows.push_back(r);
  }
  return rows;
}

double measure_linear_residual(const Expander& e, const InspectOptions& o) {
  const uint32_t m = e.input_dim(), n = e.output_dim();
  const size_t cols = size_t(m) + 1;
  const size_t samples = o.residual_samples ? o.residual_samples : std::max<size_t>(4096, 16 * cols);
  if (samples <= cols)
    throw Error(ErrorCode::InvalidArgument, "linear residual needs more than m+1 = " + std::to_string(cols) + " samples");
  internal::SimRng rng("inspect/residual", o.seed);
  std::vector<float> t(samples * m), y(samples * n);
  for (size_t i = 0; i < samples; ++i) rng.unit_vector(t.data() + i * m, m);
  e.forward(t.data(), samples, y.data());
  // A = [T 1] (column-major, samples × (m+1)); its orthonormal basis Q spans every affine fit.
  std::vector<float> a(samples * cols), tau(cols);
  for (size_t i = 0; i < samples; ++i) {
    for (uint32_t j = 0; j < m; ++j) a[j * samples + i] = t[i * m + j];
    a[m * samples + i] = 1.0f;
  }
  lapack_int info = LAPACKE_sgeqrf(LAPACK_COL_MAJOR, int(samples), int(cols), a.data(), int(samples), tau.data());
  if (info == 0) info = LAPACKE_sorgqr(LAPACK_COL_MAJOR, int(samples), int(cols), int(cols), a.data(), int(samples), tau.data());
  if (info != 0) throw Error(ErrorCode::Backend, "LAPACKE QR for the affine fit failed: info " + std::to_string(info));
  // Residual = Y − Q (Qᵀ Y); Y is row-major samples × n, i.e. column-major n × samples (Yᵀ).
  std::vector<float> qty(cols * n), fit(samples * n);
  cblas_sgemm(CblasColMajor, CblasTrans, CblasTrans, int(cols), int(n), int(samples), 1.0f, a.data(), int(samples),
              y.data(), int(n), 0.0f, qty.data(), int(cols));  // (Qᵀ Y): cols × n, column-major
  cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, int(samples), int(n), int(cols), 1.0f, a.data(), int(samples),
              qty.data(), int(cols), 0.0f, fit.data(), int(samples));  // Q Qᵀ Y: samples × n, column-major
  double res2 = 0, y2 = 0;
  for (size_t i = 0; i < samples; ++i)
    for (uint32_t j = 0; j < n; ++j) {
      const double v = y[i * n + j];
      const double d = v - fit[size_t(j) * samples + i];
      res2 += d * d;
      y2 += v * v;
    }
  return std::sqrt(res2 / y2);
}

ExpanderReport inspect_expander(const Expander& e, const InspectOptions& o) {
  ExpanderReport r;
  r.m = e.input_dim();
  r.n = e.output_dim();
  r.distortion = measure_distortion(e, o);
  r.linear_residual = measure_linear_residual(e, o);
  return r;
}

}  // namespace spheremask
