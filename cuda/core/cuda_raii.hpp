// RAII owners of every CUDA resource the backend uses: device selection, streams, events, cuBLAS and
// cuSOLVER handles, device and pinned buffers. Nothing here is global; all of it lives in a backend
// object or a call. Buffers that held secrets are zeroed before they are freed.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cusolverDn.h>

#include <cstddef>
#include <new>
#include <utility>

#include "cuda/core/cuda_check.hpp"

namespace spheremask::cuda {

// Makes `device` current for the scope and restores the previous device afterwards.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device) {
    SM_CUDA_TRY(cudaGetDevice(&previous_));
    if (previous_ != device) SM_CUDA_TRY(cudaSetDevice(device));
  }
  // For destructors: never throws; if the current device cannot be read, nothing is restored.
  DeviceGuard(int device, std::nothrow_t) {
    if (cudaGetDevice(&previous_) != cudaSuccess) previous_ = device;
    if (previous_ != device) SM_CUDA_TRY_NO_THROW(cudaSetDevice(device));
  }
  ~DeviceGuard() { SM_CUDA_TRY_NO_THROW(cudaSetDevice(previous_)); }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = 0;
};

class Stream {
 public:
  Stream() { SM_CUDA_TRY(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  ~Stream() {
    if (stream_) SM_CUDA_TRY_NO_THROW(cudaStreamDestroy(stream_));
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }
  void synchronize() const { SM_CUDA_TRY(cudaStreamSynchronize(stream_)); }

 private:
  cudaStream_t stream_ = nullptr;
};

class Event {
 public:
  Event() { SM_CUDA_TRY(cudaEventCreateWithFlags(&event_, cudaEventDisableTiming)); }
  ~Event() {
    if (event_) SM_CUDA_TRY_NO_THROW(cudaEventDestroy(event_));
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return event_; }
  void record(cudaStream_t stream) { SM_CUDA_TRY(cudaEventRecord(event_, stream)); }
  void synchronize() const { SM_CUDA_TRY(cudaEventSynchronize(event_)); }

 private:
  cudaEvent_t event_ = nullptr;
};

class CublasHandle {
 public:
  explicit CublasHandle(cudaStream_t stream) {
    SM_CUBLAS_TRY(cublasCreate(&handle_));
    SM_CUBLAS_TRY(cublasSetStream(handle_, stream));
  }
  ~CublasHandle() {
    if (handle_) SM_CUBLAS_TRY_NO_THROW(cublasDestroy(handle_));
  }
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  cublasHandle_t get() const { return handle_; }

 private:
  cublasHandle_t handle_ = nullptr;
};

class CusolverHandle {
 public:
  explicit CusolverHandle(cudaStream_t stream) {
    SM_CUSOLVER_TRY(cusolverDnCreate(&handle_));
    SM_CUSOLVER_TRY(cusolverDnSetStream(handle_, stream));
  }
  ~CusolverHandle() {
    if (handle_) SM_CUSOLVER_TRY_NO_THROW(cusolverDnDestroy(handle_));
  }
  CusolverHandle(const CusolverHandle&) = delete;
  CusolverHandle& operator=(const CusolverHandle&) = delete;
  cusolverDnHandle_t get() const { return handle_; }

 private:
  cusolverDnHandle_t handle_ = nullptr;
};

enum class Secret : bool { No = false, Yes = true };

// Where the DeviceBuffers made on this thread come from. ContextScope sets it for one operation to its
// context's stream and memory pool: allocations are then stream-ordered (cudaMallocFromPoolAsync /
// cudaFreeAsync) and cost neither a driver mapping nor the device-wide synchronization of cudaFree on
// every call. Unset (null pool): plain cudaMalloc / cudaFree.
struct AllocationScope {
  cudaStream_t stream = nullptr;
  cudaMemPool_t pool = nullptr;
};
inline AllocationScope& allocation_scope() {
  static thread_local AllocationScope scope;
  return scope;
}

// For long-lived buffers (a gallery's matrices, an expander's weights): plain cudaMalloc for the scope.
// The pool keeps idle memory only while all it holds, in use or not, stays under its release
// threshold, so a large long-lived buffer taken from it would make every call map its buffers afresh.
// The pool's idle memory goes back to the driver first: cudaMalloc cannot use it, and the caller
// plans with free_device_bytes(), which inside this scope is the driver's free memory alone.
class PlainAllocations {
 public:
  PlainAllocations() {
    const AllocationScope& current = allocation_scope();
    if (current.pool) {
      SM_CUDA_TRY(cudaStreamSynchronize(current.stream));
      SM_CUDA_TRY(cudaMemPoolTrimTo(current.pool, 0));
    }
    previous_ = std::exchange(allocation_scope(), AllocationScope{});
  }
  ~PlainAllocations() { allocation_scope() = previous_; }
  PlainAllocations(const PlainAllocations&) = delete;
  PlainAllocations& operator=(const PlainAllocations&) = delete;

 private:
  AllocationScope previous_;
};

inline void* device_allocate(size_t bytes, const AllocationScope& from) {
  void* p = nullptr;
  if (!from.pool) {
    SM_CUDA_TRY(cudaMalloc(&p, bytes));
    return p;
  }
  cudaError_t err = cudaMallocFromPoolAsync(&p, bytes, from.pool, from.stream);
  if (err == cudaErrorMemoryAllocation) {  // the pool's idle memory may be in pieces too small: release it, retry
    cudaGetLastError();
    SM_CUDA_TRY(cudaStreamSynchronize(from.stream));
    SM_CUDA_TRY(cudaMemPoolTrimTo(from.pool, 0));
    err = cudaMallocFromPoolAsync(&p, bytes, from.pool, from.stream);
  }
  SM_CUDA_TRY(err);
  return p;
}

// Device array of T. Secret::Yes zeroes the memory before freeing: from a pool, with a memset queued on
// the allocating stream ahead of the free, so that no later allocation can see the bytes; otherwise
// after a device synchronization (no stream may still write them) and before cudaFree.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(size_t count, Secret secret) : count_(count), secret_(secret), from_(allocation_scope()) {
    if (count_ > 0) data_ = static_cast<T*>(device_allocate(bytes(), from_));
  }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(DeviceBuffer&& o) noexcept { swap(o); }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      release();
      swap(o);
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* get() const { return data_; }
  size_t size() const { return count_; }
  size_t bytes() const { return count_ * sizeof(T); }
  void zero(cudaStream_t stream) const {
    if (data_) SM_CUDA_TRY(cudaMemsetAsync(data_, 0, bytes(), stream));
  }

 private:
  void release() noexcept {
    if (!data_) return;
    if (from_.pool) {
      if (secret_ == Secret::Yes) SM_CUDA_TRY_NO_THROW(cudaMemsetAsync(data_, 0, bytes(), from_.stream));
      SM_CUDA_TRY_NO_THROW(cudaFreeAsync(data_, from_.stream));
    } else {
      if (secret_ == Secret::Yes) {
        SM_CUDA_TRY_NO_THROW(cudaDeviceSynchronize());
        SM_CUDA_TRY_NO_THROW(cudaMemset(data_, 0, bytes()));
      }
      SM_CUDA_TRY_NO_THROW(cudaFree(data_));
    }
    data_ = nullptr;
    count_ = 0;
  }
  void swap(DeviceBuffer& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(count_, o.count_);
    std::swap(secret_, o.secret_);
    std::swap(from_, o.from_);
  }

  T* data_ = nullptr;
  size_t count_ = 0;
  Secret secret_ = Secret::No;
  AllocationScope from_{};
};

// A device's stream-ordered memory pool, owned by one DeviceContext. Up to kKeepBytes of freed memory
// stay reserved across synchronizations (so calls in a loop reuse it); more goes back to the driver.
class MemoryPool {
 public:
  static constexpr uint64_t kKeepBytes = uint64_t(1) << 30;
  explicit MemoryPool(int device) {
    cudaMemPoolProps props{};
    props.allocType = cudaMemAllocationTypePinned;
    props.location.type = cudaMemLocationTypeDevice;
    props.location.id = device;
    SM_CUDA_TRY(cudaMemPoolCreate(&pool_, &props));
    uint64_t keep = kKeepBytes;
    SM_CUDA_TRY(cudaMemPoolSetAttribute(pool_, cudaMemPoolAttrReleaseThreshold, &keep));
  }
  // Outstanding allocations keep the pool's memory until they are freed (cudaMemPoolDestroy's contract).
  ~MemoryPool() {
    if (pool_) SM_CUDA_TRY_NO_THROW(cudaMemPoolDestroy(pool_));
  }
  MemoryPool(const MemoryPool&) = delete;
  MemoryPool& operator=(const MemoryPool&) = delete;
  cudaMemPool_t get() const { return pool_; }

 private:
  cudaMemPool_t pool_ = nullptr;
};

// Page-locked host memory for asynchronous transfers.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  explicit PinnedBuffer(size_t bytes) : bytes_(bytes) {
    if (bytes_ > 0) SM_CUDA_TRY(cudaMallocHost(&data_, bytes_));
  }
  ~PinnedBuffer() {
    if (data_) SM_CUDA_TRY_NO_THROW(cudaFreeHost(data_));
  }
  PinnedBuffer(PinnedBuffer&& o) noexcept : data_(std::exchange(o.data_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept {
    if (this != &o) {
      if (data_) SM_CUDA_TRY_NO_THROW(cudaFreeHost(data_));
      data_ = std::exchange(o.data_, nullptr);
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  unsigned char* get() const { return static_cast<unsigned char*>(data_); }
  size_t bytes() const { return bytes_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace spheremask::cuda
