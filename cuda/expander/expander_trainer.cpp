#include "cuda/expander/expander_trainer.hpp"

#include <cublas_v2.h>

#include "cuda/core/device_context.hpp"
#include "cuda/expander/cublas_gemm.hpp"
#include "spheremask/error.hpp"

namespace spheremask::cuda {
namespace {
cublasOperation_t op(bool trans) { return trans ? CUBLAS_OP_T : CUBLAS_OP_N; }
}  // namespace

void CudaTrainOps::reserve(size_t bytes, const std::string& what) {
  if (bytes + kDeviceSlackBytes > free_device_bytes())
    throw Error(ErrorCode::Backend, what + ": about " + std::to_string(bytes >> 20) +
                                        " MiB of device memory needed, more than is free: cudaErrorMemoryAllocation");
}

void CudaTrainOps::upload(float* dst, const float* src, size_t count) {
  // From pageable memory: returns once src has been staged, so the caller may free it afterwards.
  if (count) SM_CUDA_TRY(cudaMemcpyAsync(dst, src, count * sizeof(float), cudaMemcpyHostToDevice, stream_.get()));
}

void CudaTrainOps::gemm(const internal::ColMajorGemm& g, float alpha, const float* a, const float* b, float* c) {
  cublas_gemm(blas_.get(), g, alpha, a, b, c);
}

// Upper triangle of C = op(A)·op(A)ᵀ, column-major per g (syrk_gram: the Gram matrix X·Xᵀ).
void CudaTrainOps::syrk(const internal::ColMajorSyrk& g, const float* a, float* c) {
  const float one = 1.0f, zero = 0.0f;
  SM_CUBLAS_TRY(cublasSsyrk(blas_.get(), CUBLAS_FILL_MODE_UPPER, op(g.trans), g.n, g.k, &one, a, g.lda, &zero, c,
                            g.ldc));
}

void CudaTrainOps::axpy(size_t count, float alpha, const float* x, float* y) {  // y += alpha·x
  SM_CUBLAS_TRY(cublasSaxpy(blas_.get(), int(count), &alpha, x, 1, y, 1));
}

}  // namespace spheremask::cuda
