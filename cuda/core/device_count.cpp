// Device discovery. A machine without a GPU or without a (usable) driver has zero devices, which is not
// an error (DESIGN §2: Auto then picks the CPU). Any other failure of cudaGetDeviceCount — a driver
// that fails to initialize, an unsupported PTX/driver combination, out of memory, a device in a bad
// state — is reported as Error{Backend} naming the CUDA error, instead of silently running on the CPU.
#include <cuda_runtime_api.h>

#include "backend/backend_impl.hpp"
#include "cuda/core/cuda_check.hpp"

namespace spheremask::internal {

int cuda_device_count_impl() {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err == cudaSuccess) return count < 0 ? 0 : count;
  cudaGetLastError();  // clear the error so later calls start clean
  // cudaErrorStubLibrary: only the toolkit's stub libcuda is present, i.e. no driver is installed.
  if (err == cudaErrorNoDevice || err == cudaErrorInsufficientDriver || err == cudaErrorStubLibrary) return 0;
  cuda::throw_backend_error("cudaGetDeviceCount", cudaGetErrorName(err));
}

}  // namespace spheremask::internal
