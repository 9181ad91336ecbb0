#include "expander_trainer.hpp"

#include <cublas_v2.h>

#include <string>

#include "device_context.hpp"
#include "expander_train_kernels.hpp"
#include "spheremask/error.hpp"
#include "train_gemms.hpp"

namespace spheremask::cuda {
namespace {

cublasOperation_t op(bool trans) { return trans ? CUBLAS_OP_T : CUBLAS_OP_N; }

// C = alpha·op(A)·op(B), column-major per g (see train_gemms.hpp for each product's row-major meaning).
void gemm(cublasHandle_t blas, const ColMajorGemm& g, float alpha, const float* a, const float* b, float* c) {
  const float beta = 0.0f;
  SM_CUBLAS_TRY(cublasSgemm(blas, op(g.trans_a), op(g.trans_b), g.m, g.n, g.k, &alpha, a, g.lda, b, g.ldb, &beta, c,
                            g.ldc));
}

// Upper triangle of C = op(A)·op(A)ᵀ, column-major per g.
void syrk(cublasHandle_t blas, const ColMajorSyrk& g, const float* a, float* c) {
  const float one = 1.0f, zero = 0.0f;
  SM_CUBLAS_TRY(cublasSsyrk(blas, CUBLAS_FILL_MODE_UPPER, op(g.trans), g.n, g.k, &one, a, g.lda, &zero, c, g.ldc));
}

DeviceBuffer<float> buffer(size_t count) { return DeviceBuffer<float>(count, Secret::No); }

size_t layer_size(const internal::TeLayer& l) { return size_t(l.rows) * l.cols; }

}  // namespace

// Everything the trainer allocates, to fail early with a clear message instead of a cudaMalloc error.
size_t DeviceTrainer::device_bytes(const ExpanderWeights& w, const TrainOptions& o, size_t rows) {
  const bool pairs = o.objective == TrainObjective::Pairs;
  const size_t d = size_t(2) * w.n;
  size_t params = 0, acts = 0;
  for (const auto& l : internal::te_layers(w)) {
    params += layer_size(l);
    acts += 2 * rows * l.rows + rows;  // z, y, norm
  }
  const size_t copies = o.optimizer == TrainOptimizer::Adam ? 4 : 2;  // w, g (+ m, v)
  size_t floats = copies * params + acts + rows * d /* x0 */ + 3 * rows * rows + 2 * rows * d /* dy, dz */;
  if (pairs) floats += d * w.m + rows * w.m + rows * w.n;  // W_s, t, residual R
  return floats * sizeof(float) + rows * sizeof(double) + sizeof(int);
}

DeviceTrainer::DeviceTrainer(const ExpanderWeights& w, const TrainOptions& o, size_t rows)
    : o_(o), rows_(rows), layers_(internal::te_layers(w)), blas_(stream_.get()) {
  shape_.m = w.m;
  shape_.n = w.n;
  const size_t need = device_bytes(w, o, rows);
  if (need + kDeviceSlackBytes > free_device_bytes())
    throw Error(ErrorCode::Backend, "expander train: about " + std::to_string(need >> 20) + " MiB of device memory needed for n=" +
                                        std::to_string(w.n) + " and a batch of " + std::to_string(rows) +
                                        ", more than is free: cudaErrorMemoryAllocation");
  const cudaStream_t s = stream_.get();
  const size_t d = size_t(2) * w.n;
  if (o.objective == TrainObjective::Pairs) {
    ws_ = buffer(d * w.m);
    upload(ws_.get(), w.ws.data(), d * w.m, s);
    t_ = buffer(rows * w.m);
    r_ = buffer(rows * w.n);
  }
  x_[0] = buffer(rows * d);
  for (int l = 0; l < internal::kTeLayers; ++l) {
    const size_t size = layer_size(layers_[l]);
    w_[l] = buffer(size);
    upload(w_[l].get(), layers_[l].w, size, s);  // te_layers points into the host weights
    g_[l] = buffer(size);
    if (o.optimizer == TrainOptimizer::Adam) {
      adam_m_[l] = buffer(size);
      adam_v_[l] = buffer(size);
      adam_m_[l].zero(s);
      adam_v_[l].zero(s);
    }
    z_[l] = buffer(rows * layers_[l].rows);
    x_[l + 1] = buffer(rows * layers_[l].rows);
    norm_[l] = buffer(rows);
    layers_[l].w = nullptr;  // only the shapes are used from here on
  }
  gin_ = buffer(rows * rows);
  gout_ = buffer(rows * rows);
  s_ = buffer(rows * rows);
  dy_ = buffer(rows * d);
  dz_ = buffer(rows * d);
  partial_ = DeviceBuffer<double>(rows, Secret::No);
  flag_ = DeviceBuffer<int>(1, Secret::No);
  stream_.synchronize();  // the uploads read the caller's vectors
}

void DeviceTrainer::forward() {
  for (int l = 0; l < internal::kTeLayers; ++l) {
    const internal::TeLayer& layer = layers_[l];
    // Row-major Z_l (rows_ × R) = X_l (rows_ × C) · W_lᵀ.
    gemm(blas_.get(), gemm_forward(layer.rows, layer.cols, rows_), 1.0f, w_[l].get(), x_[l].get(), z_[l].get());
    launch_train_activate(rows_, layer.rows, layer.act, layer.fold, z_[l].get(), x_[l + 1].get(), norm_[l].get(),
                          stream_.get());
  }
}

void DeviceTrainer::backward() {
  // dy_ holds dL/dY; each layer turns dL/d(its output) into dL/dZ (dz_), then dL/d(its input) (dy_).
  for (int l = internal::kTeLayers - 1; l >= 0; --l) {
    const internal::TeLayer& layer = layers_[l];
    launch_layer_backward(rows_, layer.rows, layer.act, layer.fold, dy_.get(), x_[l + 1].get(), norm_[l].get(),
                          z_[l].get(), dz_.get(), stream_.get());
    // Row-major dW_l (R × C) = dZᵀ · X_l.
    gemm(blas_.get(), gemm_weight_grad(layer.rows, layer.cols, rows_), 1.0f, x_[l].get(), dz_.get(), g_[l].get());
    // Row-major dX_l (rows_ × C) = dZ · W_l, the next layer's dL/d(output); not needed below layer 0.
    if (l > 0)
      gemm(blas_.get(), gemm_input_grad(layer.rows, layer.cols, rows_), 1.0f, w_[l].get(), dz_.get(), dy_.get());
  }
}

TrainStep DeviceTrainer::loss_and_grad(const internal::TrainBatch& b) {
  const cudaStream_t s = stream_.get();
  const uint32_t n = shape_.n, d = 2 * shape_.n;
  const bool pairs = o_.objective == TrainObjective::Pairs;
  if (pairs) {
    upload(t_.get(), b.t.data(), rows_ * shape_.m, s);
    // Row-major X (rows_ × 2n) = T (rows_ × m) · W_sᵀ, as te_project on the CPU.
    gemm(blas_.get(), gemm_forward(d, shape_.m, rows_), 1.0f, ws_.get(), t_.get(), x_[0].get());
  } else {
    upload(x_[0].get(), b.x.data(), rows_ * d, s);
  }
  forward();
  const float* y = x_[internal::kTeLayers].get();
  // Upper triangles of G_in = X Xᵀ and G_out = Y Yᵀ (rows_ × rows_).
  syrk(blas_.get(), syrk_gram(rows_, d), x_[0].get(), gin_.get());
  syrk(blas_.get(), syrk_gram(rows_, n), y, gout_.get());
  const internal::GramWeights gw = internal::gram_weights(o_, rows_);
  launch_gram_weights(rows_, gw.all, gw.within, gw.pairs, uint32_t(internal::kTrainGroup), gin_.get(), gout_.get(),
                      s_.get(), partial_.get(), s);
  // Row-major dL/dY (rows_ × n) = 4 (W∘D) · Y, S = W∘D symmetric.
  gemm(blas_.get(), gemm_output_grad(rows_, n), 4.0f, y, s_.get(), dy_.get());

  std::vector<double> partial(rows_);
  download(partial.data(), partial_.get(), rows_, s);
  // The affine-fit residual runs on the host from Y copied back: its QR depends only on the batch's
  // templates T (drawn on the host), Y is rows × n floats (a few MB at most), and the host code is the
  // CPU trainer's own (expander_objective.cpp), so both backends share one implementation of the term;
  // its cost, rows·(m+1)·n flop twice, is small next to the body's rows·(2n)² per layer.
  const bool residual = internal::residual_computed(shape_, o_, rows_);
  std::vector<float> y_host;
  if (residual) {
    y_host.resize(rows_ * n);
    download(y_host.data(), y, rows_ * n, s);
  }
  stream_.synchronize();
  TrainStep step;
  for (double p : partial) step.gram_loss += p;  // in row order: deterministic
  step.loss = step.gram_loss;
  if (residual) {
    const internal::AffineResidual res = internal::affine_residual(shape_, b.t.data(), y_host.data(), rows_);
    const float scale = internal::apply_residual(o_, res, step);
    if (scale != 0.0f) {
      upload(r_.get(), res.r.data(), rows_ * n, s);
      // dL/dY += scale · R
      SM_CUBLAS_TRY(cublasSaxpy(blas_.get(), int(rows_ * n), &scale, r_.get(), 1, dy_.get(), 1));
      stream_.synchronize();  // res.r is freed on return
    }
  }
  backward();
  return step;
}

void DeviceTrainer::update(size_t step) {
  const cudaStream_t s = stream_.get();
  if (o_.optimizer == TrainOptimizer::Sgd) {
    const float alpha = -o_.lr;
    for (int l = 0; l < internal::kTeLayers; ++l)  // W −= lr · dW
      SM_CUBLAS_TRY(cublasSaxpy(blas_.get(), int(w_[l].size()), &alpha, g_[l].get(), 1, w_[l].get(), 1));
  } else {
    const internal::AdamConstants c = internal::adam_constants(++adam_t_);
    const AdamStep a{o_.lr, c.b1, c.one_minus_b1, c.b2, c.one_minus_b2, c.eps, c.c1, c.c2};
    for (int l = 0; l < internal::kTeLayers; ++l)
      launch_adam_update(w_[l].size(), a, g_[l].get(), adam_m_[l].get(), adam_v_[l].get(), w_[l].get(), s);
  }
  flag_.zero(s);
  for (int l = 0; l < internal::kTeLayers; ++l) launch_flag_nonfinite(w_[l].size(), w_[l].get(), flag_.get(), s);
  int flag = 0;
  download(&flag, flag_.get(), 1, s);
  stream_.synchronize();
  if (flag) internal::throw_diverged(step);
}

std::array<std::vector<float>, internal::kTeLayers> DeviceTrainer::download_grads() const {
  std::array<std::vector<float>, internal::kTeLayers> grads;
  for (int l = 0; l < internal::kTeLayers; ++l) {
    grads[l].resize(g_[l].size());
    download(grads[l].data(), g_[l].get(), g_[l].size(), stream_.get());
  }
  stream_.synchronize();
  return grads;
}

void DeviceTrainer::download_weights(ExpanderWeights& w) const {
  std::array<std::vector<float>*, internal::kTeLayers> body = {&w.w0, &w.w1, &w.w2, &w.w3, &w.w4};
  for (int l = 0; l < internal::kTeLayers; ++l) {
    body[l]->resize(w_[l].size());
    download(body[l]->data(), w_[l].get(), w_[l].size(), stream_.get());
  }
  stream_.synchronize();
}

}  // namespace spheremask::cuda
