// One template expander being trained on the current CUDA device (DESIGN §3, issue 4): the body weights
// W0…W4, their gradients, Adam's moments and every activation backward needs stay in device memory for
// all steps; a step uploads one batch and downloads the loss (and, for the residual term, Y). The math
// is host/expander_train.cpp's, step for step: cuBLAS GEMM/SYRK (argument sets in train_gemms.hpp) plus
// the kernels of expander_train_kernels.cu. The caller keeps the device current for the object's lifetime.
#pragma once
#include <array>
#include <cstddef>
#include <vector>

#include "cuda_raii.hpp"
#include "expander_net.hpp"
#include "expander_objective.hpp"
#include "spheremask/expander_train.hpp"

namespace spheremask::cuda {

class DeviceTrainer {
 public:
  // Uploads the body (and W_s for Pairs); buffers for batches of `rows`. Error{Backend} when the
  // device lacks the memory.
  DeviceTrainer(const ExpanderWeights& w, const TrainOptions& o, size_t rows);
  DeviceTrainer(const DeviceTrainer&) = delete;
  DeviceTrainer& operator=(const DeviceTrainer&) = delete;

  // Forward with cache, loss and the gradients of W0…W4 (kept on the device) for one batch drawn by
  // draw_train_batch (t for Pairs, x for Gram).
  TrainStep loss_and_grad(const internal::TrainBatch& b);
  // SGD or Adam with the last gradients, then the finiteness check (the CPU's error on divergence).
  void update(size_t step);

  std::array<std::vector<float>, internal::kTeLayers> download_grads() const;
  void download_weights(ExpanderWeights& w) const;  // W0…W4 only; W_s is never trained

 private:
  static size_t device_bytes(const ExpanderWeights& w, const TrainOptions& o, size_t rows);
  void forward();
  void backward();

  TrainOptions o_;
  ExpanderWeights shape_;  // m and n only (for the host residual)
  size_t rows_;
  std::array<internal::TeLayer, internal::kTeLayers> layers_{};  // shapes; w unused
  Stream stream_;
  CublasHandle blas_;
  DeviceBuffer<float> ws_, t_;
  std::array<DeviceBuffer<float>, internal::kTeLayers> w_, g_, adam_m_, adam_v_, z_, norm_;
  std::array<DeviceBuffer<float>, internal::kTeLayers + 1> x_;  // layer inputs; x_[5] = Y
  DeviceBuffer<float> gin_, gout_, s_, dy_, dz_, r_;
  DeviceBuffer<double> partial_;
  DeviceBuffer<int> flag_;
  size_t adam_t_ = 0;
};

}  // namespace spheremask::cuda
