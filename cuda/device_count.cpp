// Device discovery: any CUDA error (no driver, insufficient driver, no device) means zero devices.
#include <cuda_runtime_api.h>

#include "backend_impl.hpp"

namespace spheremask::internal {

int cuda_device_count_impl() {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error so later calls start clean
    return 0;
  }
  return count < 0 ? 0 : count;
}

}  // namespace spheremask::internal
