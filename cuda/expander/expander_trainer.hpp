// The GPU back end of the trainer's step sequence (host/expander/train_step.hpp): one stream with its cuBLAS handle,
// device buffers, and the kernels of expander_train_kernels.cu. Weights, gradients, Adam's moments and
// every activation backward needs stay in device memory for all steps. The caller keeps the device
// current for the trainer's lifetime.
#pragma once
#include <cstddef>
#include <string>

#include "cuda/core/cuda_raii.hpp"
#include "cuda/expander/expander_train_kernels.hpp"
#include "expander/train_step.hpp"

namespace spheremask::cuda {

class CudaTrainOps {
 public:
  template <class T>
  using Buffer = DeviceBuffer<T>;

  CudaTrainOps() : blas_(stream_.get()) {}

  template <class T>
  Buffer<T> make(size_t count) { return Buffer<T>(count, Secret::No); }  // public weights, synthetic inputs
  // Error{Backend} when `bytes` (plus slack for cuBLAS) are not free on the device.
  void reserve(size_t bytes, const std::string& what);
  void upload(float* dst, const float* src, size_t count);
  template <class T>
  void download(T* dst, const T* src, size_t count) {
    if (count) SM_CUDA_TRY(cudaMemcpyAsync(dst, src, count * sizeof(T), cudaMemcpyDeviceToHost, stream_.get()));
  }
  template <class T>
  void zero(T* p, size_t count) {
    if (count) SM_CUDA_TRY(cudaMemsetAsync(p, 0, count * sizeof(T), stream_.get()));
  }
  void synchronize() { stream_.synchronize(); }

  void gemm(const internal::ColMajorGemm& g, float alpha, const float* a, const float* b, float* c);
  void syrk(const internal::ColMajorSyrk& g, const float* a, float* c);
  void axpy(size_t count, float alpha, const float* x, float* y);

  void activate(size_t count, uint32_t len, internal::TeAct act, bool fold, const float* z, float* y, float* norm) {
    launch_train_activate(count, len, act, fold, z, y, norm, stream_.get());
  }
  void gram_weights(size_t count, const detail::GramArgs& g, const float* gin, const float* gout, float* s, double* partial) {
    launch_gram_weights(count, g, gin, gout, s, partial, stream_.get());
  }
  void layer_backward(size_t count, uint32_t len, internal::TeAct act, bool fold, const float* dy, const float* y,
                      const float* norm, const float* z, float* dz) {
    launch_layer_backward(count, len, act, fold, dy, y, norm, z, dz, stream_.get());
  }
  void adam(size_t count, const detail::AdamStep& a, const float* g, float* m, float* v, float* p) {
    launch_adam_update(count, a, g, m, v, p, stream_.get());
  }
  void flag_nonfinite(size_t count, const float* p, int* flag) {
    launch_flag_nonfinite(count, p, flag, stream_.get());
  }

 private:
  Stream stream_;
  CublasHandle blas_;
};


}  // namespace spheremask::cuda
