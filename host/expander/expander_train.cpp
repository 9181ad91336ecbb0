#include "spheremask/expander_train.hpp"

#include <cblas.h>

#include <array>
#include <cmath>
#include <string>

#include "expander/expander_net.hpp"
#include "expander/expander_objective.hpp"
#include "expander/expander_rng.hpp"
#include "expander/expander_train_backends.hpp"
#include "util/finite.hpp"
#include "spheremask/error.hpp"

namespace spheremask {
namespace {

using internal::TrainBatch;

// Forward, loss and dL/dY for one batch. dy may be null (evaluation only).
TrainStep loss_and_grad(const ExpanderWeights& w, const TrainOptions& o, const TrainBatch& b, size_t rows,
                        internal::TeCache& cache, std::vector<float>* dy) {
  const uint32_t n = w.n, d = 2 * w.n;
  internal::te_body_forward(w, b.x.data(), rows, nullptr, &cache);
  const float* y = cache.x[internal::kTeLayers].data();
  std::vector<float> gin(rows * rows), gout(rows * rows);
  cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, int(rows), int(d), 1.0f, b.x.data(), int(d), 0.0f, gin.data(), int(rows));
  cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, int(rows), int(n), 1.0f, y, int(n), 0.0f, gout.data(), int(rows));
  // Weights of the Gram entries (symmetric), then S = W∘D.
  const internal::GramWeights gw = internal::gram_weights(o, rows);
  TrainStep s;
  std::vector<float> weighted(rows * rows);
  for (size_t i = 0; i < rows; ++i)
    for (size_t j = i; j < rows; ++j) {
      const double diff = double(gout[i * rows + j]) - gin[i * rows + j];
      double wt = gw.all;
      if (j != i && gw.pairs && i / internal::kTrainGroup == j / internal::kTrainGroup) wt += gw.within;
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
  if (internal::residual_computed(w, o, rows)) {
    // Residual of the best affine fit Y ≈ [T 1]·B.
    const internal::AffineResidual res = internal::affine_residual(w, b.t.data(), y, rows);
    const float scale = internal::apply_residual(o, res, s);
    if (dy && scale != 0.0f) cblas_saxpy(int(rows * n), scale, res.r.data(), 1, dy->data(), 1);
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

Backend train_backend(const ExpanderWeights& w, const TrainOptions& o) {
  if (o.backend != Backend::Auto) return o.backend;
  // cuda_device_count() is 0 when CUDA is compiled out, without a driver and without a device.
  return w.n >= kTrainGpuMinN && cuda_device_count() > 0 ? Backend::Cuda : Backend::Cpu;
}

TrainResult train_expander(ExpanderWeights& w, const TrainOptions& o, const std::function<void(const TrainStep&)>& progress) {
  internal::check_train_options(w, o);
  return train_backend(w, o) == Backend::Cuda ? internal::cuda_train_expander(w, o, progress)
                                              : internal::cpu_train_expander(w, o, progress);
}

TrainStep evaluate_objective(const ExpanderWeights& w, const TrainOptions& o, size_t batches) {
  internal::check_train_options(w, o);
  const size_t rows = internal::train_batch_rows(w, o);
  internal::SimRng rng("train/held-out", o.seed);
  internal::TeCache cache;
  TrainStep total;
  total.residual = 0;
  for (size_t k = 0; k < batches; ++k) {
    const TrainBatch b = internal::draw_train_batch(w, o, rows, rng);
    const TrainStep s = loss_and_grad(w, o, b, rows, cache, nullptr);
    total.loss += s.loss / double(batches);
    total.gram_loss += s.gram_loss / double(batches);
    total.residual += s.residual / double(batches);
  }
  if (!internal::residual_computed(w, o, rows)) total.residual = -1;
  return total;
}

namespace internal {

TrainResult cpu_train_expander(ExpanderWeights& w, const TrainOptions& o, const std::function<void(const TrainStep&)>& progress) {
  check_train_options(w, o);
  const size_t rows = train_batch_rows(w, o);
  SimRng rng("train/batch", o.seed);
  TeCache cache;
  std::array<std::vector<float>, kTeLayers> grads;
  std::vector<float> dy;
  Adam adam;
  TrainResult result;
  result.backend = Backend::Cpu;
  for (size_t step = 1; step <= o.steps; ++step) {
    const TrainBatch b = draw_train_batch(w, o, rows, rng);
    TrainStep s = loss_and_grad(w, o, b, rows, cache, &dy);
    s.step = step;
    te_body_backward(w, cache, rows, dy.data(), grads);
    auto params = body(w);
    if (o.optimizer == TrainOptimizer::Sgd) {
      for (int l = 0; l < kTeLayers; ++l)
        cblas_saxpy(int(params[l]->size()), -o.lr, grads[l].data(), 1, params[l]->data(), 1);
    } else {
      const AdamConstants a = adam_constants(++adam.t);
      for (int l = 0; l < kTeLayers; ++l) {
        auto& p = *params[l];
        auto& m = adam.m[l];
        auto& v = adam.v[l];
        m.resize(p.size(), 0.0f);
        v.resize(p.size(), 0.0f);
        const float* g = grads[l].data();
        for (size_t k = 0; k < p.size(); ++k) {
          m[k] = a.b1 * m[k] + a.one_minus_b1 * g[k];
          v[k] = a.b2 * v[k] + a.one_minus_b2 * g[k] * g[k];
          p[k] -= o.lr * (m[k] * a.c1) / (std::sqrt(v[k] * a.c2) + a.eps);
        }
      }
    }
    for (int l = 0; l < kTeLayers; ++l)
      if (first_non_finite(params[l]->data(), params[l]->size()) < params[l]->size()) throw_diverged(step);
    if (step == 1) result.first_loss = s.loss;
    result.last_loss = s.loss;
    if (progress) progress(s);
  }
  return result;
}

TrainProbe cpu_train_probe(const ExpanderWeights& w, const TrainOptions& o) {
  check_train_options(w, o);
  const size_t rows = train_batch_rows(w, o);
  SimRng rng("train/batch", o.seed);
  TeCache cache;
  std::vector<float> dy;
  const TrainBatch b = draw_train_batch(w, o, rows, rng);
  TrainProbe p;
  p.step = loss_and_grad(w, o, b, rows, cache, &dy);
  p.step.step = 1;
  te_body_backward(w, cache, rows, dy.data(), p.grads);
  return p;
}

}  // namespace internal
}  // namespace spheremask
