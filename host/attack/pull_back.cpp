#include "attack/pull_back.hpp"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <cmath>

#include "spheremask/keys.hpp"

namespace spheremask::attack {
namespace {

void normalize(float* v, size_t dim) {
  const float nr = cblas_snrm2(int(dim), v, 1);
  if (nr > 0) cblas_sscal(int(dim), 1.0f / nr, v, 1);
}

double distance(const float* a, const float* b, size_t dim) {
  double s = 0;
  for (size_t i = 0; i < dim; ++i) s += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  return std::sqrt(s);
}

}  // namespace

std::vector<float> pull_back_template(const Expander& e, const TeModel& model, const float* u, int steps,
                                      const std::function<bool(const float*)>& stop, PullBackTrace* trace) {
  const uint32_t m = model.m, n = model.n;
  std::vector<float> centered(n), t(m), y(n);
  for (uint32_t j = 0; j < n; ++j) centered[j] = u[j] - model.offset[j];
  cblas_sgemv(CblasRowMajor, CblasNoTrans, int(m), int(n), 1.0f, model.l_pinv.data(), int(n), centered.data(), 1, 0.0f,
              t.data(), 1);
  normalize(t.data(), m);
  e.forward(t.data(), 1, y.data());
  if (trace) {
    *trace = {};
    trace->residuals.push_back(distance(y.data(), u, n));
  }
  bool done = stop && stop(y.data());
  double residual = distance(y.data(), u, n);
  const float h = 1e-3f;
  std::vector<float> in(size_t(m + 1) * m), out(size_t(m + 1) * n), jac(size_t(n) * m), jtj(size_t(m) * m),
      normal(size_t(m) * m), rhs(m), delta(m), trial(m), y_trial(n);
  double damping = 1e-6;  // μ relative to the mean curvature; grows on a rejected step, shrinks on a taken one
  for (int step = 0; step < steps && !done; ++step) {
    // Forward differences of TE∘normalize at t: one batched forward of m + 1 inputs.
    for (uint32_t i = 0; i <= m; ++i) {
      float* row = in.data() + size_t(i) * m;
      std::copy_n(t.data(), m, row);
      if (i < m) row[i] += h;
      normalize(row, m);
    }
    e.forward(in.data(), m + 1, out.data());
    const float* base = out.data() + size_t(m) * n;
    for (uint32_t j = 0; j < n; ++j) {
      for (uint32_t i = 0; i < m; ++i) jac[size_t(j) * m + i] = (out[size_t(i) * n + j] - base[j]) / h;
      y[j] = u[j] - base[j];  // residual to remove
    }
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, int(m), int(n), 1.0f, jac.data(), int(m), 0.0f, jtj.data(), int(m));
    cblas_sgemv(CblasRowMajor, CblasTrans, int(n), int(m), 1.0f, jac.data(), int(m), y.data(), 1, 0.0f, rhs.data(), 1);
    double mean_curvature = 0;
    for (uint32_t i = 0; i < m; ++i) mean_curvature += jtj[size_t(i) * m + i];
    mean_curvature = mean_curvature / m + 1e-12;
    // The radial direction t is a null direction of TE∘normalize: with only μ there, the difference error in
    // J·t (O(h)) over μ gives a huge radial δ, and t + δ then shrinks the real step to nothing or flips t to
    // −t. So the radial direction gets the mean curvature (λ·ttᵀ) and δ is projected onto the tangent plane.
    bool improved = false;
    for (int attempt = 0; attempt < 6 && !improved; ++attempt, damping *= 10) {
      normal = jtj;
      for (uint32_t i = 0; i < m; ++i) {
        for (uint32_t k = i; k < m; ++k) normal[size_t(i) * m + k] += float(mean_curvature * t[i] * t[k]);
        normal[size_t(i) * m + i] += float(damping * mean_curvature);
      }
      delta = rhs;
      if (LAPACKE_sposv(LAPACK_ROW_MAJOR, 'U', int(m), 1, normal.data(), int(m), delta.data(), 1) != 0) continue;
      const float radial = cblas_sdot(int(m), delta.data(), 1, t.data(), 1);
      for (uint32_t i = 0; i < m; ++i) trial[i] = t[i] + delta[i] - radial * t[i];
      normalize(trial.data(), m);
      e.forward(trial.data(), 1, y_trial.data());
      const double r = distance(y_trial.data(), u, n);
      if (r < residual) {  // Levenberg–Marquardt: take only steps that lower ‖TE(t) − u‖
        improved = true;
        residual = r;
        t.swap(trial);
        y.swap(y_trial);
        damping = std::max(damping / 100, 1e-9);  // the loop's ×10 follows
      }
    }
    if (trace) {
      trace->steps = step + 1;
      trace->residuals.push_back(residual);
    }
    if (!improved) break;  // no damping lowers the residual: t is as close as this model gets
    done = stop && stop(y.data());
  }
  secure_zero(centered.data(), centered.size() * sizeof(float));
  secure_zero(y.data(), y.size() * sizeof(float));
  secure_zero(in.data(), in.size() * sizeof(float));
  secure_zero(out.data(), out.size() * sizeof(float));
  secure_zero(jac.data(), jac.size() * sizeof(float));
  secure_zero(rhs.data(), rhs.size() * sizeof(float));
  secure_zero(delta.data(), delta.size() * sizeof(float));
  secure_zero(trial.data(), trial.size() * sizeof(float));
  secure_zero(y_trial.data(), y_trial.size() * sizeof(float));
  return t;
}

}  // namespace spheremask::attack
