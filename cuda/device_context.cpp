#include "device_context.hpp"

namespace spheremask::cuda {

DeviceContext::DeviceContext(int device) : device_(device) {
  DeviceGuard guard(device_);
  stream_ = std::make_unique<Stream>();
  blas_ = std::make_unique<CublasHandle>(stream_->get());
  solver_ = std::make_unique<CusolverHandle>(stream_->get());
  staging_ = std::make_unique<StagingRing>();
}

DeviceContext::~DeviceContext() {
  DeviceGuard guard(device_, std::nothrow);  // the caller's current device is left as it was
  staging_.reset();
  solver_.reset();
  blas_.reset();
  stream_.reset();
}

size_t free_device_bytes() {
  size_t free = 0, total = 0;
  SM_CUDA_TRY(cudaMemGetInfo(&free, &total));
  return free;
}

Error out_of_device_memory(const char* op, uint32_t n) {
  return Error(ErrorCode::Backend, std::string(op) + ": not enough free device memory for one n=" +
                                       std::to_string(n) + " matrix: cudaErrorMemoryAllocation");
}

}  // namespace spheremask::cuda
