// The expander's GEMM argument sets (host/expander/train_gemms.hpp) issued through cuBLAS, for the GPU
// forward (expander_forward.cpp) and the GPU trainer's ops (expander_trainer.cpp) alike.
#pragma once
#include <cublas_v2.h>

#include "expander/train_gemms.hpp"

namespace spheremask::cuda {

// C = alpha·op(A)·op(B), column-major per g, enqueued on the handle's stream; Error{Backend} on failure.
void cublas_gemm(cublasHandle_t blas, const internal::ColMajorGemm& g, float alpha, const float* a, const float* b,
                 float* c);

}  // namespace spheremask::cuda
