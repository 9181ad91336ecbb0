#include "cuda/core/device_context.hpp"

#include <algorithm>
#include <cstring>

namespace spheremask::cuda {

DeviceContext::DeviceContext(int device, int host_threads) : device_(device) {
  DeviceGuard guard(device_);
  pool_ = std::make_unique<MemoryPool>(device_);
  stream_ = std::make_unique<Stream>();
  blas_ = std::make_unique<CublasHandle>(stream_->get());
  solver_ = std::make_unique<CusolverHandle>(stream_->get());
  staging_ = std::make_unique<StagingRing>(host_threads);
}

DeviceContext::~DeviceContext() {
  DeviceGuard guard(device_, std::nothrow);  // the caller's current device is left as it was
  secret_staging_ = PinnedBuffer();
  staging_.reset();
  solver_.reset();
  blas_.reset();
  stream_.reset();
  pool_.reset();
}

namespace {
constexpr size_t kSecretStagingBytes = size_t(4) << 20;
}

void DeviceContext::upload_secret(void* dst, const void* src, size_t bytes) {
  copy_secret(dst, src, bytes, cudaMemcpyHostToDevice);
}

void DeviceContext::download_secret(void* dst, const void* src, size_t bytes) {
  copy_secret(dst, src, bytes, cudaMemcpyDeviceToHost);
}

void DeviceContext::copy_secret(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  if (bytes == 0) return;
  if (secret_staging_.bytes() == 0) secret_staging_ = PinnedBuffer(kSecretStagingBytes);
  unsigned char* pinned = secret_staging_.get();
  auto* out = static_cast<unsigned char*>(dst);
  const auto* in = static_cast<const unsigned char*>(src);
  const size_t used = std::min(bytes, kSecretStagingBytes);
  try {
    for (size_t off = 0; off < bytes; off += kSecretStagingBytes) {
      const size_t len = std::min(kSecretStagingBytes, bytes - off);
      if (kind == cudaMemcpyHostToDevice) {
        std::memcpy(pinned, in + off, len);
        SM_CUDA_TRY(cudaMemcpyAsync(out + off, pinned, len, kind, stream()));
        synchronize();  // the pinned bytes are reused (and wiped) next
      } else {
        SM_CUDA_TRY(cudaMemcpyAsync(pinned, in + off, len, kind, stream()));
        synchronize();
        std::memcpy(out + off, pinned, len);
      }
    }
  } catch (...) {
    SM_CUDA_TRY_NO_THROW(cudaStreamSynchronize(stream()));  // no copy may still read the buffer
    secure_zero(pinned, used);
    throw;
  }
  secure_zero(pinned, used);
}

size_t free_device_bytes() {
  const AllocationScope& scope = allocation_scope();
  size_t idle = 0;
  if (scope.pool) {
    SM_CUDA_TRY(cudaStreamSynchronize(scope.stream));
    uint64_t reserved = 0, used = 0;
    SM_CUDA_TRY(cudaMemPoolGetAttribute(scope.pool, cudaMemPoolAttrReservedMemCurrent, &reserved));
    SM_CUDA_TRY(cudaMemPoolGetAttribute(scope.pool, cudaMemPoolAttrUsedMemCurrent, &used));
    idle = reserved > used ? size_t(reserved - used) : 0;
  }
  size_t free = 0, total = 0;
  SM_CUDA_TRY(cudaMemGetInfo(&free, &total));
  return free + idle;
}

Error out_of_device_memory(const char* op, uint32_t n) {
  return Error(ErrorCode::Backend, std::string(op) + ": not enough free device memory for one n=" +
                                       std::to_string(n) + " matrix: cudaErrorMemoryAllocation");
}

}  // namespace spheremask::cuda
