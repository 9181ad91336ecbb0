// The template expander's body passes and the trainer's step sequence (DESIGN §3), written once against
// an `Ops` back end: CpuTeOps (cpu_ops.hpp: host vectors, OpenBLAS, serial loops) and CudaTrainOps
// (cuda/expander/expander_trainer.hpp: device buffers, cuBLAS, the kernels of expander_train_kernels.cu).
// Both run the per-element math of spheremask/detail/te_math.hpp and the GEMM argument sets of
// train_gemms.hpp, so the CPU trainer and the GPU trainer are this one step over two sets of ops.
// No CUDA types here.
//
// Ops provides: template <class T> using Buffer (get(), size()); make<T>(count); reserve(bytes, what);
// upload(dst, src, count); download<T>(dst, src, count); zero<T>(p, count); synchronize();
// gemm(ColMajorGemm, alpha, a, b, c); syrk(ColMajorSyrk, a, c); axpy(count, alpha, x, y); and the
// per-row/elementwise kernels activate, gram_weights, layer_backward, adam, flag_nonfinite (their
// contracts: cuda/expander/expander_train_kernels.hpp).
#pragma once
#include <array>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "expander/expander_net.hpp"
#include "expander/expander_objective.hpp"
#include "expander/expander_rng.hpp"
#include "expander/expander_train_backends.hpp"
#include "expander/train_gemms.hpp"
#include "spheremask/detail/te_math.hpp"
#include "spheremask/expander_train.hpp"

namespace spheremask::internal {

// Where one body pass keeps its values: x[l] is the input of layer l (x[kTeLayers] the output), z[l]
// its pre-activations and norm[l] its row norms before normalization. A pass that keeps no cache may
// alias them (x alternating between two buffers, one z, one norm).
struct TeBodyBuffers {
  std::array<float*, kTeLayers + 1> x;
  std::array<float*, kTeLayers> z, norm;
};
using TeBodyWeights = std::array<const float*, kTeLayers>;  // W0…W4 in the ops' memory

// x[l+1] = N(fold(act(W_l x[l]))) for every layer, over `rows` rows.
template <class Ops>
void te_layers_forward(Ops& ops, const std::array<TeLayer, kTeLayers>& layers, const TeBodyWeights& w,
                       const TeBodyBuffers& b, size_t rows) {
  for (int l = 0; l < kTeLayers; ++l) {
    const TeLayer& layer = layers[l];
    // Row-major Z_l (rows × R) = X_l (rows × C) · W_lᵀ, then X_{l+1} = N(fold(act(Z_l))) with its norms.
    ops.gemm(gemm_forward(layer.rows, layer.cols, rows), 1.0f, w[l], b.x[l], b.z[l]);
    ops.activate(rows, layer.rows, layer.act, layer.fold, b.z[l], b.x[l + 1], b.norm[l]);
  }
}

// Gradients of W0…W4 into grads from dL/d(output) in dy (rows × n; overwritten, it carries each layer's
// dL/d(input) to the layer before), with dz as scratch (rows × 2n); dx (optional) receives dL/d(input).
template <class Ops>
void te_layers_backward(Ops& ops, const std::array<TeLayer, kTeLayers>& layers, const TeBodyWeights& w,
                        const TeBodyBuffers& b, size_t rows, float* dy, float* dz,
                        const std::array<float*, kTeLayers>& grads, float* dx) {
  for (int l = kTeLayers - 1; l >= 0; --l) {
    const TeLayer& layer = layers[l];
    ops.layer_backward(rows, layer.rows, layer.act, layer.fold, dy, b.x[l + 1], b.norm[l], b.z[l], dz);
    // Row-major dW_l (R × C) = dZᵀ · X_l.
    ops.gemm(gemm_weight_grad(layer.rows, layer.cols, rows), 1.0f, b.x[l], dz, grads[l]);
    // Row-major dX_l (rows × C) = dZ · W_l (before its update): the layer before's dL/d(output).
    float* into = l > 0 ? dy : dx;
    if (into) ops.gemm(gemm_input_grad(layer.rows, layer.cols, rows), 1.0f, w[l], dz, into);
  }
}

// Everything a TrainStepper allocates, in bytes.
inline size_t train_step_bytes(const ExpanderWeights& w, const TrainOptions& o, size_t rows) {
  const size_t d = size_t(2) * w.n;
  size_t params = 0, acts = 0;
  for (const auto& l : te_layers(w)) {
    params += size_t(l.rows) * l.cols;
    acts += 2 * rows * l.rows + rows;  // z, y, norm
  }
  const size_t copies = o.optimizer == TrainOptimizer::Adam ? 4 : 2;  // w, g (+ Adam's m, v)
  size_t floats = copies * params + acts + rows * d /* x0 */ + 3 * rows * rows /* gin, gout, s */ +
                  2 * rows * d /* dy, dz */;
  if (o.objective == TrainObjective::Pairs) floats += d * w.m + rows * w.m + rows * w.n;  // W_s, t, R
  return floats * sizeof(float) + rows * sizeof(double) + sizeof(int);
}

template <class Ops>
class TrainStepper {
  template <class T>
  using Buffer = typename Ops::template Buffer<T>;

 public:
  // Copies the body (and W_s for Pairs) into the ops' memory; buffers for batches of `rows`.
  TrainStepper(const ExpanderWeights& w, const TrainOptions& o, size_t rows)
      : o_(o), rows_(rows), layers_(te_layers(w)) {
    shape_.m = w.m;
    shape_.n = w.n;
    ops_.reserve(train_step_bytes(w, o, rows), "expander train: n=" + std::to_string(w.n) + ", batch " +
                                                   std::to_string(rows));
    const size_t d = size_t(2) * w.n;
    if (o.objective == TrainObjective::Pairs) {
      ws_ = ops_.template make<float>(d * w.m);
      ops_.upload(ws_.get(), w.ws.data(), d * w.m);
      t_ = ops_.template make<float>(rows * w.m);
      r_ = ops_.template make<float>(rows * w.n);
    }
    x_[0] = ops_.template make<float>(rows * d);
    for (int l = 0; l < kTeLayers; ++l) {
      const size_t size = size_t(layers_[l].rows) * layers_[l].cols;
      w_[l] = ops_.template make<float>(size);
      ops_.upload(w_[l].get(), layers_[l].w, size);  // te_layers points into the caller's weights
      g_[l] = ops_.template make<float>(size);
      if (o.optimizer == TrainOptimizer::Adam) {
        adam_m_[l] = ops_.template make<float>(size);
        adam_v_[l] = ops_.template make<float>(size);
        ops_.zero(adam_m_[l].get(), size);
        ops_.zero(adam_v_[l].get(), size);
      }
      z_[l] = ops_.template make<float>(rows * layers_[l].rows);
      x_[l + 1] = ops_.template make<float>(rows * layers_[l].rows);
      norm_[l] = ops_.template make<float>(rows);
      layers_[l].w = nullptr;  // only the shapes are used from here on
    }
    gin_ = ops_.template make<float>(rows * rows);
    gout_ = ops_.template make<float>(rows * rows);
    s_ = ops_.template make<float>(rows * rows);
    dy_ = ops_.template make<float>(rows * d);
    dz_ = ops_.template make<float>(rows * d);
    partial_ = ops_.template make<double>(rows);
    flag_ = ops_.template make<int>(1);
    ops_.synchronize();  // the uploads read the caller's vectors
  }
  TrainStepper(const TrainStepper&) = delete;
  TrainStepper& operator=(const TrainStepper&) = delete;

  // Forward with cache, loss and the gradients of W0…W4 (kept in the ops' memory) for one batch drawn by
  // draw_train_batch (t for Pairs, x for Gram; a Pairs batch need not carry x).
  TrainStep loss_and_grad(const TrainBatch& b) { return run(b, true); }
  // The loss alone (no gradients are computed; the last ones are kept).
  TrainStep loss(const TrainBatch& b) { return run(b, false); }

  // SGD or Adam with the last gradients, then the finiteness check (Error{InvalidArgument} on divergence).
  void update(size_t step) {
    if (o_.optimizer == TrainOptimizer::Sgd) {
      for (int l = 0; l < kTeLayers; ++l) ops_.axpy(w_[l].size(), -o_.lr, g_[l].get(), w_[l].get());
    } else {
      const AdamConstants c = adam_constants(++adam_t_);
      const detail::AdamStep a{o_.lr, c.b1, c.one_minus_b1, c.b2, c.one_minus_b2, c.eps, c.c1, c.c2};
      for (int l = 0; l < kTeLayers; ++l)
        ops_.adam(w_[l].size(), a, g_[l].get(), adam_m_[l].get(), adam_v_[l].get(), w_[l].get());
    }
    ops_.zero(flag_.get(), 1);
    for (int l = 0; l < kTeLayers; ++l) ops_.flag_nonfinite(w_[l].size(), w_[l].get(), flag_.get());
    int flag = 0;
    ops_.download(&flag, flag_.get(), 1);
    ops_.synchronize();
    if (flag) throw_diverged(step);
  }

  std::array<std::vector<float>, kTeLayers> download_grads() {
    std::array<std::vector<float>, kTeLayers> grads;
    for (int l = 0; l < kTeLayers; ++l) {
      grads[l].resize(g_[l].size());
      ops_.download(grads[l].data(), g_[l].get(), g_[l].size());
    }
    ops_.synchronize();
    return grads;
  }

  void download_weights(ExpanderWeights& w) {  // W0…W4 only; W_s is never trained
    std::array<std::vector<float>*, kTeLayers> body = {&w.w0, &w.w1, &w.w2, &w.w3, &w.w4};
    for (int l = 0; l < kTeLayers; ++l) {
      body[l]->resize(w_[l].size());
      ops_.download(body[l]->data(), w_[l].get(), w_[l].size());
    }
    ops_.synchronize();
  }

 private:
  TrainStep run(const TrainBatch& b, bool grads) {
    const uint32_t n = shape_.n, d = 2 * shape_.n;
    if (o_.objective == TrainObjective::Pairs) {
      ops_.upload(t_.get(), b.t.data(), rows_ * shape_.m);
      // Row-major X (rows × 2n) = T (rows × m) · W_sᵀ, as te_project.
      ops_.gemm(gemm_forward(d, shape_.m, rows_), 1.0f, ws_.get(), t_.get(), x_[0].get());
    } else {
      ops_.upload(x_[0].get(), b.x.data(), rows_ * d);
    }
    te_layers_forward(ops_, layers_, weights(), buffers(), rows_);
    const float* y = x_[kTeLayers].get();
    // Upper triangles of G_in = X Xᵀ (rows × rows, k = 2n) and G_out = Y Yᵀ (k = n).
    ops_.syrk(syrk_gram(rows_, d), x_[0].get(), gin_.get());
    ops_.syrk(syrk_gram(rows_, n), y, gout_.get());
    const GramWeights gw = gram_weights(o_, rows_);
    const detail::GramArgs ga{gw.all, gw.within, gw.pairs, uint32_t(kTrainGroup)};
    ops_.gram_weights(rows_, ga, gin_.get(), gout_.get(), s_.get(), partial_.get());
    // Row-major dL/dY (rows × n) = 4 S · Y with S = W∘D symmetric (rows × rows).
    if (grads) ops_.gemm(gemm_output_grad(rows_, n), 4.0f, y, s_.get(), dy_.get());

    std::vector<double> partial(rows_);
    ops_.download(partial.data(), partial_.get(), rows_);
    // The affine-fit residual runs on the host from Y copied back: its QR depends only on the batch's
    // templates T (drawn on the host), Y is rows × n floats (a few MB at most), and the host code is
    // expander_objective.cpp's, so both backends share one implementation of the term. Its cost, two
    // rows·(m+1)·n GEMMs and a rows × (m+1) QR on the host, is small next to the body's rows·(2n)² per
    // layer on a device; cuSOLVER would save the transfers but duplicate the math.
    const bool residual = residual_computed(shape_, o_, rows_);
    std::vector<float> y_host;
    if (residual) {
      y_host.resize(rows_ * n);
      ops_.download(y_host.data(), y, rows_ * n);
    }
    ops_.synchronize();
    TrainStep step;
    for (double p : partial) step.gram_loss += p;  // in row order: deterministic
    step.loss = step.gram_loss;
    if (residual) {
      const AffineResidual res = affine_residual(shape_, b.t.data(), y_host.data(), rows_);
      const float scale = apply_residual(o_, res, step);
      if (grads && scale != 0.0f) {
        ops_.upload(r_.get(), res.r.data(), rows_ * n);
        ops_.axpy(rows_ * n, scale, r_.get(), dy_.get());  // dL/dY += scale · R
        ops_.synchronize();                               // res.r is freed on return
      }
    }
    if (grads) {
      std::array<float*, kTeLayers> g;
      for (int l = 0; l < kTeLayers; ++l) g[l] = g_[l].get();
      te_layers_backward(ops_, layers_, weights(), buffers(), rows_, dy_.get(), dz_.get(), g, nullptr);
    }
    return step;
  }

  TeBodyWeights weights() const {
    TeBodyWeights w;
    for (int l = 0; l < kTeLayers; ++l) w[l] = w_[l].get();
    return w;
  }
  TeBodyBuffers buffers() const {
    TeBodyBuffers b;
    for (int l = 0; l <= kTeLayers; ++l) b.x[l] = x_[l].get();
    for (int l = 0; l < kTeLayers; ++l) {
      b.z[l] = z_[l].get();
      b.norm[l] = norm_[l].get();
    }
    return b;
  }

  Ops ops_;  // first: constructed before and destroyed after every buffer
  TrainOptions o_;
  ExpanderWeights shape_;  // m and n only (for the host residual)
  size_t rows_;
  std::array<TeLayer, kTeLayers> layers_{};  // shapes; w unused after construction
  Buffer<float> ws_, t_, r_;
  std::array<Buffer<float>, kTeLayers> w_, g_, adam_m_, adam_v_, z_, norm_;
  std::array<Buffer<float>, kTeLayers + 1> x_;  // layer inputs; x_[5] = Y
  Buffer<float> gin_, gout_, s_, dy_, dz_;
  Buffer<double> partial_;
  Buffer<int> flag_;
  size_t adam_t_ = 0;
};

// o.steps steps on batches of the seeded training stream; the weights stay in the ops' memory until the
// last step and come back to w at the end, so a progress callback sees w unchanged and a diverged run
// leaves it untouched.
template <class Ops>
TrainResult train_steps(ExpanderWeights& w, const TrainOptions& o, const std::function<void(const TrainStep&)>& progress,
                        Backend backend) {
  const size_t rows = train_batch_rows(w, o);
  SimRng rng("train/batch", o.seed);
  TrainStepper<Ops> trainer(w, o, rows);
  TrainResult result;
  result.backend = backend;
  for (size_t step = 1; step <= o.steps; ++step) {
    TrainStep s = trainer.loss_and_grad(draw_train_batch(w, o, rows, rng, /*project=*/false));
    s.step = step;
    trainer.update(step);
    if (step == 1) result.first_loss = s.loss;
    result.last_loss = s.loss;
    if (progress) progress(s);
  }
  trainer.download_weights(w);
  return result;
}

// The first step of training without its update (TrainProbe).
template <class Ops>
TrainProbe probe_first_step(const ExpanderWeights& w, const TrainOptions& o) {
  const size_t rows = train_batch_rows(w, o);
  SimRng rng("train/batch", o.seed);
  TrainStepper<Ops> trainer(w, o, rows);
  TrainProbe p;
  p.step = trainer.loss_and_grad(draw_train_batch(w, o, rows, rng, /*project=*/false));
  p.step.step = 1;
  p.grads = trainer.download_grads();
  return p;
}

}  // namespace spheremask::internal
