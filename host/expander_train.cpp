#include "spheremask/expander_train.hpp"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "expander_net.hpp"
#include "expander_rng.hpp"
#include "spheremask/error.hpp"

namespace spheremask {
namespace {

constexpr size_t kGroup = 8;  // Pairs objective: anchor + 7 neighbours
constexpr double kDeg = 57.29577951308232;

size_t batch_rows(const ExpanderWeights& w, const TrainOptions& o) {
  if (o.batch) return o.batch;
  return o.objective == TrainObjective::Gram ? 256 : std::max<size_t>(256, 4 * (size_t(w.m) + 1));
}

void check_options(const ExpanderWeights& w, const TrainOptions& o) {
  check_expander_shapes(w);
  const size_t b = batch_rows(w, o);
  if (b < 2) throw Error(ErrorCode::InvalidArgument, "train: batch must be at least 2");
  if (!(o.lr > 0) || !std::isfinite(o.lr)) throw Error(ErrorCode::InvalidArgument, "train: lr must be positive");
  if (!std::isfinite(o.residual_weight) || o.residual_weight < 0)
    throw Error(ErrorCode::InvalidArgument, "train: residual weight must be ≥ 0");
  if (o.residual_weight > 0 && o.objective != TrainObjective::Pairs)
    throw Error(ErrorCode::InvalidArgument, "train: the residual weight applies to the pairs objective (template-space inputs)");
  if (o.objective == TrainObjective::Pairs && o.residual_weight > 0 && b <= size_t(w.m) + 1)
    throw Error(ErrorCode::InvalidArgument, "train: the residual term needs a batch larger than m+1 = " +
                                                std::to_string(w.m + 1));
  if (o.objective == TrainObjective::Pairs && !(o.max_pair_angle_deg > 0 && o.max_pair_angle_deg <= 180))
    throw Error(ErrorCode::InvalidArgument, "train: max pair angle must be in (0, 180]");
}

// One batch of inputs: x (rows × 2n) and, for Pairs, the templates t (rows × m).
struct Batch {
  std::vector<float> t, x;
};

Batch draw_batch(const ExpanderWeights& w, const TrainOptions& o, size_t rows, internal::SimRng& rng) {
  Batch b;
  const uint32_t d = 2 * w.n;
  b.x.resize(rows * d);
  if (o.objective == TrainObjective::Gram) {
    for (size_t i = 0; i < rows; ++i) rng.unit_vector(b.x.data() + i * d, d);
    return b;
  }
  b.t.resize(rows * w.m);
  for (size_t i = 0; i < rows; ++i) {
    float* ti = b.t.data() + i * w.m;
    if (i % kGroup == 0) {
      rng.unit_vector(ti, w.m);
    } else {
      const float* anchor = b.t.data() + (i - i % kGroup) * w.m;
      rng.at_angle(anchor, rng.uniform() * o.max_pair_angle_deg / kDeg, ti, w.m);
    }
  }
  internal::te_project(w, b.t.data(), rows, b.x.data());
  return b;
}

// Forward, loss and dL/dY for one batch. dy may be null (evaluation only).
TrainStep loss_and_grad(const ExpanderWeights& w, const TrainOptions& o, const Batch& b, size_t rows,
                        internal::TeCache& cache, std::vector<float>* dy) {
  const uint32_t n = w.n, d = 2 * w.n;
  internal::te_body_forward(w, b.x.data(), rows, nullptr, &cache);
  const float* y = cache.x[internal::kTeLayers].data();
  std::vector<float> gin(rows * rows), gout(rows * rows);
  cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, int(rows), int(d), 1.0f, b.x.data(), int(d), 0.0f, gin.data(), int(rows));
  cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, int(rows), int(n), 1.0f, y, int(n), 0.0f, gout.data(), int(rows));
  // Weights of the Gram entries (symmetric), then S = W∘D.
  const double all = 1.0 / double(rows * rows);
  size_t within_pairs = 0;
  if (o.objective == TrainObjective::Pairs)
    for (size_t i = 0; i < rows; i += kGroup) {
      const size_t g = std::min(kGroup, rows - i);
      within_pairs += g * (g - 1);
    }
  const double within = within_pairs ? 1.0 / double(within_pairs) : 0.0;
  TrainStep s;
  std::vector<float> weighted(rows * rows);
  for (size_t i = 0; i < rows; ++i)
    for (size_t j = i; j < rows; ++j) {
      const double diff = double(gout[i * rows + j]) - gin[i * rows + j];
      double wt = all;
      if (j != i && o.objective == TrainObjective::Pairs && i / kGroup == j / kGroup) wt += within;
      const double contrib = wt * diff * diff;
      s.gram_loss += i == j ? contrib : 2 * contrib;
      weighted[i * rows + j] = weighted[j * rows + i] = float(wt * diff);
    }
  s.loss = s.gram_loss;
  if (dy) {
    dy->assign(rows * n, 0.0f);
    // dL/dY = 4 (W∘D) Y
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(rows), int(n), int(rows), 4.0f, weighted.data(),
                int(rows), y, int(n), 0.0f, dy->data(), int(n));
  }
  if (o.objective == TrainObjective::Pairs && rows > size_t(w.m) + 1) {
    // Residual of the best affine fit Y ≈ [T 1]·B: R = Y − Q Qᵀ Y with Q an orthonormal basis of [T 1].
    const size_t cols = size_t(w.m) + 1;
    std::vector<float> a(rows * cols), tau(cols);
    for (size_t i = 0; i < rows; ++i) {
      for (uint32_t j = 0; j < w.m; ++j) a[j * rows + i] = b.t[i * w.m + j];
      a[w.m * rows + i] = 1.0f;
    }
    lapack_int info = LAPACKE_sgeqrf(LAPACK_COL_MAJOR, int(rows), int(cols), a.data(), int(rows), tau.data());
    if (info == 0) info = LAPACKE_sorgqr(LAPACK_COL_MAJOR, int(rows), int(cols), int(cols), a.data(), int(rows), tau.data());
    if (info != 0) throw Error(ErrorCode::Backend, "LAPACKE QR for the residual term failed: info " + std::to_string(info));
    std::vector<float> qty(cols * n), r(y, y + rows * n);
    // Column-major views: Q is rows × cols, Yᵀ is the row-major Y.
    cblas_sgemm(CblasColMajor, CblasTrans, CblasTrans, int(cols), int(n), int(rows), 1.0f, a.data(), int(rows), y,
                int(n), 0.0f, qty.data(), int(cols));
    // r (row-major rows × n) −= Q·(QᵀY): as column-major n × rows, rᵀ −= (QᵀY)ᵀ Qᵀ.
    cblas_sgemm(CblasColMajor, CblasTrans, CblasTrans, int(n), int(rows), int(cols), -1.0f, qty.data(), int(cols),
                a.data(), int(rows), 1.0f, r.data(), int(n));
    double res2 = 0, y2 = 0;
    for (size_t k = 0; k < rows * n; ++k) { res2 += double(r[k]) * r[k]; y2 += double(y[k]) * y[k]; }
    const double frac = res2 / y2;
    s.residual = std::sqrt(frac);
    s.loss -= o.residual_weight * frac;
    if (dy && o.residual_weight > 0) {
      const float scale = float(-o.residual_weight * 2.0 / y2);  // d(res²/‖Y‖²)/dY = 2R/‖Y‖² (‖Y‖ fixed: unit rows)
      cblas_saxpy(int(rows * n), scale, r.data(), 1, dy->data(), 1);
    }
  }
  return s;
}

struct Adam {
  std::array<std::vector<float>, internal::kTeLayers> m, v;
  size_t t = 0;
};

std::array<std::vector<float>*, internal::kTeLayers> body(ExpanderWeights& w) {
  return {&w.w0, &w.w1, &w.w2, &w.w3, &w.w4};
}

}  // namespace

const char* objective_name(TrainObjective o) { return o == TrainObjective::Gram ? "gram" : "pairs"; }
TrainObjective parse_objective(const std::string& name) {
  if (name == "gram") return TrainObjective::Gram;
  if (name == "pairs") return TrainObjective::Pairs;
  throw Error(ErrorCode::InvalidArgument, "unknown objective '" + name + "' (gram or pairs)");
}
const char* optimizer_name(TrainOptimizer o) { return o == TrainOptimizer::Sgd ? "sgd" : "adam"; }
TrainOptimizer parse_optimizer(const std::string& name) {
  if (name == "sgd") return TrainOptimizer::Sgd;
  if (name == "adam") return TrainOptimizer::Adam;
  throw Error(ErrorCode::InvalidArgument, "unknown optimizer '" + name + "' (sgd or adam)");
}

TrainResult train_expander(ExpanderWeights& w, const TrainOptions& o, const std::function<void(const TrainStep&)>& progress) {
  check_options(w, o);
  const size_t rows = batch_rows(w, o);
  internal::SimRng rng("train/batch", o.seed);
  internal::TeCache cache;
  std::array<std::vector<float>, internal::kTeLayers> grads;
  std::vector<float> dy;
  Adam adam;
  TrainResult result;
  for (size_t step = 1; step <= o.steps; ++step) {
    const Batch b = draw_batch(w, o, rows, rng);
    TrainStep s = loss_and_grad(w, o, b, rows, cache, &dy);
    s.step = step;
    internal::te_body_backward(w, cache, rows, dy.data(), grads);
    auto params = body(w);
    if (o.optimizer == TrainOptimizer::Sgd) {
      for (int l = 0; l < internal::kTeLayers; ++l)
        cblas_saxpy(int(params[l]->size()), -o.lr, grads[l].data(), 1, params[l]->data(), 1);
    } else {
      ++adam.t;
      const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
      const float c1 = float(1.0 / (1.0 - std::pow(b1, double(adam.t))));
      const float c2 = float(1.0 / (1.0 - std::pow(b2, double(adam.t))));
      for (int l = 0; l < internal::kTeLayers; ++l) {
        auto& p = *params[l];
        auto& m = adam.m[l];
        auto& v = adam.v[l];
        m.resize(p.size(), 0.0f);
        v.resize(p.size(), 0.0f);
        const float* g = grads[l].data();
        for (size_t k = 0; k < p.size(); ++k) {
          m[k] = float(b1) * m[k] + float(1 - b1) * g[k];
          v[k] = float(b2) * v[k] + float(1 - b2) * g[k] * g[k];
          p[k] -= o.lr * (m[k] * c1) / (std::sqrt(v[k] * c2) + float(eps));
        }
      }
    }
    for (int l = 0; l < internal::kTeLayers; ++l)
      for (float v : *params[l])
        if (!std::isfinite(v))
          throw Error(ErrorCode::InvalidArgument, "train: weights diverged at step " + std::to_string(step) +
                                                      " (lower the learning rate)");
    if (step == 1) result.first_loss = s.loss;
    result.last_loss = s.loss;
    if (progress) progress(s);
  }
  return result;
}

TrainStep evaluate_objective(const ExpanderWeights& w, const TrainOptions& o, size_t batches) {
  check_options(w, o);
  const size_t rows = batch_rows(w, o);
  internal::SimRng rng("train/held-out", o.seed);
  internal::TeCache cache;
  TrainStep total;
  total.residual = 0;
  for (size_t k = 0; k < batches; ++k) {
    const Batch b = draw_batch(w, o, rows, rng);
    const TrainStep s = loss_and_grad(w, o, b, rows, cache, nullptr);
    total.loss += s.loss / double(batches);
    total.gram_loss += s.gram_loss / double(batches);
    total.residual += s.residual / double(batches);
  }
  if (o.objective == TrainObjective::Gram || batch_rows(w, o) <= size_t(w.m) + 1) total.residual = -1;
  return total;
}

}  // namespace spheremask
