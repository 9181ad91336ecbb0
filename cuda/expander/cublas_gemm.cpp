#include "cuda/expander/cublas_gemm.hpp"

#include "cuda/core/cuda_check.hpp"

namespace spheremask::cuda {

void cublas_gemm(cublasHandle_t blas, const internal::ColMajorGemm& g, float alpha, const float* a, const float* b,
                 float* c) {
  const float beta = 0.0f;
  const cublasOperation_t op_a = g.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, op_b = g.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  SM_CUBLAS_TRY(cublasSgemm(blas, op_a, op_b, g.m, g.n, g.k, &alpha, a, g.lda, b, g.ldb, &beta, c, g.ldc));
}

}  // namespace spheremask::cuda
