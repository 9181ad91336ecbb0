// The GPU trainer's step sequence (DESIGN §3), written once against an `Ops` back end: the
// CUDA one (expander_trainer.hpp: device buffers, cuBLAS, the kernels of expander_train_kernels.cu) and
// a CPU one in the tests (cblas column-major plus the same train_elements.hpp functions run serially),
// so the wiring of every buffer into every GEMM and kernel runs on machines without a GPU too.
// The math is host/expander/expander_train.cpp's step for step. No CUDA types here.
//
// Ops provides: template <class T> using Buffer (get(), size()); make<T>(count); reserve(bytes, what);
// upload(dst, src, count); download<T>(dst, src, count); zero<T>(p, count); synchronize();
// gemm(ColMajorGemm, alpha, a, b, c); syrk(ColMajorSyrk, a, c); axpy(count, alpha, x, y); and the
// kernels activate, gram_weights, layer_backward, adam, flag_nonfinite (see expander_train_kernels.hpp).
#pragma once
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "expander/expander_net.hpp"
#include "expander/expander_objective.hpp"
#include "spheremask/expander_train.hpp"
#include "cuda/expander/train_elements.hpp"
#include "cuda/expander/train_gemms.hpp"

namespace spheremask::cuda {

// Everything a TrainStepper allocates, in bytes.
inline size_t train_step_bytes(const ExpanderWeights& w, const TrainOptions& o, size_t rows) {
  const size_t d = size_t(2) * w.n;
  size_t params = 0, acts = 0;
  for (const auto& l : internal::te_layers(w)) {
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
  // Uploads the body (and W_s for Pairs); buffers for batches of `rows`.
  TrainStepper(const ExpanderWeights& w, const TrainOptions& o, size_t rows)
      : o_(o), rows_(rows), layers_(internal::te_layers(w)) {
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
    for (int l = 0; l < internal::kTeLayers; ++l) {
      const size_t size = size_t(layers_[l].rows) * layers_[l].cols;
      w_[l] = ops_.template make<float>(size);
      ops_.upload(w_[l].get(), layers_[l].w, size);  // te_layers points into the host weights
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

  // Forward with cache, loss and the gradients of W0…W4 (kept in Ops memory) for one batch drawn by
  // draw_train_batch (t for Pairs, x for Gram; a Pairs batch need not carry x).
  TrainStep loss_and_grad(const internal::TrainBatch& b) {
    const uint32_t n = shape_.n, d = 2 * shape_.n;
    if (o_.objective == TrainObjective::Pairs) {
      ops_.upload(t_.get(), b.t.data(), rows_ * shape_.m);
      // Row-major X (rows × 2n) = T (rows × m) · W_sᵀ, as te_project on the CPU.
      ops_.gemm(gemm_forward(d, shape_.m, rows_), 1.0f, ws_.get(), t_.get(), x_[0].get());
    } else {
      ops_.upload(x_[0].get(), b.x.data(), rows_ * d);
    }
    forward();
    const float* y = x_[internal::kTeLayers].get();
    // Upper triangles of G_in = X Xᵀ (rows × rows, k = 2n) and G_out = Y Yᵀ (k = n).
    ops_.syrk(syrk_gram(rows_, d), x_[0].get(), gin_.get());
    ops_.syrk(syrk_gram(rows_, n), y, gout_.get());
    const internal::GramWeights gw = internal::gram_weights(o_, rows_);
    const GramArgs ga{gw.all, gw.within, gw.pairs, uint32_t(internal::kTrainGroup)};
    ops_.gram_weights(rows_, ga, gin_.get(), gout_.get(), s_.get(), partial_.get());
    // Row-major dL/dY (rows × n) = 4 S · Y with S = W∘D symmetric (rows × rows).
    ops_.gemm(gemm_output_grad(rows_, n), 4.0f, y, s_.get(), dy_.get());

    std::vector<double> partial(rows_);
    ops_.download(partial.data(), partial_.get(), rows_);
    // The affine-fit residual runs on the host from Y copied back: its QR depends only on the batch's
    // templates T (drawn on the host), Y is rows × n floats (a few MB at most), and the host code is the
    // CPU trainer's own (expander_objective.cpp), so both backends share one implementation of the term.
    // Its cost, two rows·(m+1)·n GEMMs and a rows × (m+1) QR on the host, is small next to the body's
    // rows·(2n)² per layer on the device; cuSOLVER would save the transfers but duplicate the math.
    const bool residual = internal::residual_computed(shape_, o_, rows_);
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
      const internal::AffineResidual res = internal::affine_residual(shape_, b.t.data(), y_host.data(), rows_);
      const float scale = internal::apply_residual(o_, res, step);
      if (scale != 0.0f) {
        ops_.upload(r_.get(), res.r.data(), rows_ * n);
        ops_.axpy(rows_ * n, scale, r_.get(), dy_.get());  // dL/dY += scale · R
        ops_.synchronize();                               // res.r is freed on return
      }
    }
    backward();
    return step;
  }

  // SGD or Adam with the last gradients, then the finiteness check (the CPU's error on divergence).
  void update(size_t step) {
    if (o_.optimizer == TrainOptimizer::Sgd) {
      for (int l = 0; l < internal::kTeLayers; ++l) ops_.axpy(w_[l].size(), -o_.lr, g_[l].get(), w_[l].get());
    } else {
      const internal::AdamConstants c = internal::adam_constants(++adam_t_);
      const AdamStep a{o_.lr, c.b1, c.one_minus_b1, c.b2, c.one_minus_b2, c.eps, c.c1, c.c2};
      for (int l = 0; l < internal::kTeLayers; ++l)
        ops_.adam(w_[l].size(), a, g_[l].get(), adam_m_[l].get(), adam_v_[l].get(), w_[l].get());
    }
    ops_.zero(flag_.get(), 1);
    for (int l = 0; l < internal::kTeLayers; ++l) ops_.flag_nonfinite(w_[l].size(), w_[l].get(), flag_.get());
    int flag = 0;
    ops_.download(&flag, flag_.get(), 1);
    ops_.synchronize();
    if (flag) internal::throw_diverged(step);
  }

  std::array<std::vector<float>, internal::kTeLayers> download_grads() {
    std::array<std::vector<float>, internal::kTeLayers> grads;
    for (int l = 0; l < internal::kTeLayers; ++l) {
      grads[l].resize(g_[l].size());
      ops_.download(grads[l].data(), g_[l].get(), g_[l].size());
    }
    ops_.synchronize();
    return grads;
  }

  void download_weights(ExpanderWeights& w) {  // W0…W4 only; W_s is never trained
    std::array<std::vector<float>*, internal::kTeLayers> body = {&w.w0, &w.w1, &w.w2, &w.w3, &w.w4};
    for (int l = 0; l < internal::kTeLayers; ++l) {
      body[l]->resize(w_[l].size());
      ops_.download(body[l]->data(), w_[l].get(), w_[l].size());
    }
    ops_.synchronize();
  }

 private:
  void forward() {
    for (int l = 0; l < internal::kTeLayers; ++l) {
      const internal::TeLayer& layer = layers_[l];
      // Row-major Z_l (rows × R) = X_l (rows × C) · W_lᵀ, then X_{l+1} = N(fold(act(Z_l))) with its norms.
      ops_.gemm(gemm_forward(layer.rows, layer.cols, rows_), 1.0f, w_[l].get(), x_[l].get(), z_[l].get());
      ops_.activate(rows_, layer.rows, layer.act, layer.fold, z_[l].get(), x_[l + 1].get(), norm_[l].get());
    }
  }

  void backward() {
    // dy_ holds dL/dY; each layer turns dL/d(its output) into dL/dZ (dz_), then dL/d(its input) (dy_).
    for (int l = internal::kTeLayers - 1; l >= 0; --l) {
      const internal::TeLayer& layer = layers_[l];
      ops_.layer_backward(rows_, layer.rows, layer.act, layer.fold, dy_.get(), x_[l + 1].get(), norm_[l].get(),
                          z_[l].get(), dz_.get());
      // Row-major dW_l (R × C) = dZᵀ · X_l.
      ops_.gemm(gemm_weight_grad(layer.rows, layer.cols, rows_), 1.0f, x_[l].get(), dz_.get(), g_[l].get());
      // Row-major dX_l (rows × C) = dZ · W_l (before its update), the next layer's dL/d(output).
      if (l > 0) ops_.gemm(gemm_input_grad(layer.rows, layer.cols, rows_), 1.0f, w_[l].get(), dz_.get(), dy_.get());
    }
  }

  Ops ops_;  // first: constructed before and destroyed after every buffer
  TrainOptions o_;
  ExpanderWeights shape_;  // m and n only (for the host residual)
  size_t rows_;
  std::array<internal::TeLayer, internal::kTeLayers> layers_{};  // shapes; w unused after construction
  Buffer<float> ws_, t_, r_;
  std::array<Buffer<float>, internal::kTeLayers> w_, g_, adam_m_, adam_v_, z_, norm_;
  std::array<Buffer<float>, internal::kTeLayers + 1> x_;  // layer inputs; x_[5] = Y
  Buffer<float> gin_, gout_, s_, dy_, dz_;
  Buffer<double> partial_;
  Buffer<int> flag_;
  size_t adam_t_ = 0;
};

}  // namespace spheremask::cuda
