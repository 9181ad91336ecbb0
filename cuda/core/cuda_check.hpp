// Error checking for CUDA, cuBLAS and cuSOLVER calls: the throwing forms carry the operation and
// the library's error name (Error{Backend}); the _NO_THROW forms are for destructors.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cusolverDn.h>

#include <string>

#include "spheremask/error.hpp"

namespace spheremask::cuda {

const char* cusolver_status_name(cusolverStatus_t status);

[[noreturn]] void throw_backend_error(const char* operation, const char* error_name);

inline void check_cuda(cudaError_t err, const char* operation) {
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear a non-sticky error so the next call starts clean
    throw_backend_error(operation, cudaGetErrorName(err));
  }
}
inline void check_cublas(cublasStatus_t status, const char* operation) {
  if (status != CUBLAS_STATUS_SUCCESS) throw_backend_error(operation, cublasGetStatusName(status));
}
inline void check_cusolver(cusolverStatus_t status, const char* operation) {
  if (status != CUSOLVER_STATUS_SUCCESS) throw_backend_error(operation, cusolver_status_name(status));
}

}  // namespace spheremask::cuda

#define SM_CUDA_TRY(call) ::spheremask::cuda::check_cuda((call), #call)
#define SM_CUBLAS_TRY(call) ::spheremask::cuda::check_cublas((call), #call)
#define SM_CUSOLVER_TRY(call) ::spheremask::cuda::check_cusolver((call), #call)
// After a <<<...>>> launch: configuration errors surface here, named after the kernel.
#define SM_CUDA_CHECK_LAUNCH(kernel_name) ::spheremask::cuda::check_cuda(cudaGetLastError(), "launch of " kernel_name)
// Destructors must not throw: the result is dropped (and a non-sticky error cleared).
#define SM_CUDA_TRY_NO_THROW(call) \
  do {                             \
    if ((call) != cudaSuccess) cudaGetLastError(); \
  } while (0)
#define SM_CUBLAS_TRY_NO_THROW(call) static_cast<void>(call)
#define SM_CUSOLVER_TRY_NO_THROW(call) static_cast<void>(call)
