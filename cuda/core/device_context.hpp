// What one CUDA backend owns on its device, shared with the galleries it makes (a Gallery may outlive
// its Engine): the device, one stream with its cuBLAS and cuSOLVER handles, the pinned staging ring,
// and the mutex that serializes their use. Plus the small transfer helpers every caller uses.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "cuda/core/cuda_check.hpp"
#include "cuda/core/cuda_raii.hpp"
#include "spheremask/keys.hpp"
#include "cuda/core/staging.hpp"

namespace spheremask::cuda {

// Device bytes left free when planning chunks: cuBLAS/cuSOLVER internals and fragmentation.
constexpr size_t kDeviceSlackBytes = size_t(64) << 20;

class DeviceContext {
 public:
  // host_threads: how many host threads may copy into and out of the pinned staging slots.
  DeviceContext(int device, int host_threads);
  ~DeviceContext();  // releases the members with their device current
  DeviceContext(const DeviceContext&) = delete;
  DeviceContext& operator=(const DeviceContext&) = delete;

  int device() const { return device_; }
  cudaStream_t stream() const { return stream_->get(); }
  void synchronize() const { stream_->synchronize(); }
  cublasHandle_t blas() const { return blas_->get(); }
  cusolverDnHandle_t solver() const { return solver_->get(); }
  cudaMemPool_t pool() const { return pool_->get(); }
  StagingRing& staging() { return *staging_; }
  std::mutex& mutex() { return mutex_; }

  // Secrets (Haar keys, templates, probes, codewords) cross PCIe only through this context's own pinned
  // buffer, wiped after every copy: a copy from pageable memory goes through the driver's pinned bounce
  // memory, which nobody wipes. Synchronous on stream() (it waits for the work queued before it).
  void upload_secret(void* dst, const void* src, size_t bytes);
  void download_secret(void* dst, const void* src, size_t bytes);

 private:
  int device_;
  std::mutex mutex_;
  std::unique_ptr<MemoryPool> pool_;
  std::unique_ptr<Stream> stream_;
  std::unique_ptr<CublasHandle> blas_;
  std::unique_ptr<CusolverHandle> solver_;
  std::unique_ptr<StagingRing> staging_;
  PinnedBuffer secret_staging_;  // allocated on first use
  void copy_secret(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
};

// Lock, current device and allocation source (the context's stream and pool) for one operation on
// the context.
class ContextScope {
 public:
  explicit ContextScope(DeviceContext& ctx)
      : lock_(ctx.mutex()),
        guard_(ctx.device()),
        previous_(std::exchange(allocation_scope(), {ctx.stream(), ctx.pool()})) {}
  ~ContextScope() { allocation_scope() = previous_; }
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;

 private:
  std::lock_guard<std::mutex> lock_;
  DeviceGuard guard_;
  AllocationScope previous_;
};

// Device memory free for new buffers: the driver's free memory plus, inside a ContextScope, what the
// context's pool holds idle (after its stream has finished the frees queued on it).
size_t free_device_bytes();
Error out_of_device_memory(const char* op, uint32_t n);

template <class T>
void upload(T* dst, const T* src, size_t count, cudaStream_t stream) {
  if (count) SM_CUDA_TRY(cudaMemcpyAsync(dst, src, count * sizeof(T), cudaMemcpyHostToDevice, stream));
}
template <class T>
void download(T* dst, const T* src, size_t count, cudaStream_t stream) {
  if (count) SM_CUDA_TRY(cudaMemcpyAsync(dst, src, count * sizeof(T), cudaMemcpyDeviceToHost, stream));
}
template <class T>
void upload_secret(DeviceContext& ctx, T* dst, const T* src, size_t count) {
  ctx.upload_secret(dst, src, count * sizeof(T));
}
template <class T>
void download_secret(DeviceContext& ctx, T* dst, const T* src, size_t count) {
  ctx.download_secret(dst, src, count * sizeof(T));
}
// Runs f when the scope ends, exceptions included: wipes the host copies of secrets on every path.
template <class F>
class OnScopeExit {
 public:
  explicit OnScopeExit(F f) : f_(std::move(f)) {}
  ~OnScopeExit() { f_(); }
  OnScopeExit(const OnScopeExit&) = delete;
  OnScopeExit& operator=(const OnScopeExit&) = delete;

 private:
  F f_;
};

template <class T>
void wipe_host(std::vector<T>& v) {
  if (!v.empty()) secure_zero(v.data(), v.size() * sizeof(T));
}

}  // namespace spheremask::cuda
