#include "cuda/haar/haar_gpu.hpp"

#include <string>
#include <vector>

#include "cuda/core/cuda_check.hpp"
#include "cuda/core/cuda_raii.hpp"

namespace spheremask::cuda {
namespace {

// cuSOLVER: one orgqr per matrix (its workspace is shared by the sequence).
void form_q_orgqr(cusolverDnHandle_t solver, uint32_t count, uint32_t n, const HaarBuffers& out) {
  const size_t nn = size_t(n) * n;
  const int ni = int(n), k = int(n) - 1;
  int lwork = 0;
  SM_CUSOLVER_TRY(cusolverDnSorgqr_bufferSize(solver, ni, ni, k, out.a, ni, out.tau, &lwork));
  DeviceBuffer<float> work(size_t(lwork > 0 ? lwork : 1), Secret::Yes);  // holds parts of Q while it works
  for (uint32_t m = 0; m < count; ++m)
    SM_CUSOLVER_TRY(cusolverDnSorgqr(solver, ni, ni, k, out.a + m * nn, ni, out.tau + size_t(m) * n, work.get(), lwork,
                                     out.info + m));
}

// Compact WY over batched cuBLAS calls; the shapes and their meaning are in haar_method.hpp (wy_shapes),
// where the CPU test runs the same calls through OpenBLAS.
void form_q_compact_wy(cublasHandle_t blas, cudaStream_t stream, uint32_t count, uint32_t n, const HaarBuffers& out) {
  SM_CUDA_TRY(cudaMemsetAsync(out.info, 0, count * sizeof(int), stream));
  const WyShapes w = wy_shapes(n);
  const float one = 1.0f, zero = 0.0f, minus_one = -1.0f;
  // Declared first so they are freed last (in stream order, after the TRSM that reads them).
  DeviceBuffer<const float*> d_t_ptrs(count, Secret::No);
  DeviceBuffer<float*> d_x_ptrs(count, Secret::No);
  DeviceBuffer<float> t_inv(count * size_t(w.stride_s), Secret::Yes), x(count * size_t(w.stride_x), Secret::Yes),
      q(count * size_t(w.stride_a), Secret::Yes);
  // S = VᵀV (the zeros above V's diagonal are stored, so a plain GEMM is exact).
  SM_CUBLAS_TRY(cublasSgemmStridedBatched(blas, CUBLAS_OP_T, CUBLAS_OP_N, w.k, w.k, w.n, &one, out.a, w.ld_v,
                                          w.stride_a, out.a, w.ld_v, w.stride_a, &zero, t_inv.get(), w.ld_s,
                                          w.stride_s, int(count)));
  launch_form_t_inverse(count, n, out.tau, t_inv.get(), stream);
  // X ← V (the first k columns of every A), then X·(T⁻¹)ᵀ = V solved in place.
  SM_CUDA_TRY(cudaMemcpy2DAsync(x.get(), size_t(w.stride_x) * sizeof(float), out.a, size_t(w.stride_a) * sizeof(float),
                                size_t(w.stride_x) * sizeof(float), count, cudaMemcpyDeviceToDevice, stream));
  // TRSM has only a pointer-array batched form.
  std::vector<const float*> t_ptrs(count);
  std::vector<float*> x_ptrs(count);
  for (uint32_t m = 0; m < count; ++m) {
    t_ptrs[m] = t_inv.get() + m * size_t(w.stride_s);
    x_ptrs[m] = x.get() + m * size_t(w.stride_x);
  }
  SM_CUDA_TRY(cudaMemcpyAsync(d_t_ptrs.get(), t_ptrs.data(), count * sizeof(float*), cudaMemcpyHostToDevice, stream));
  SM_CUDA_TRY(cudaMemcpyAsync(d_x_ptrs.get(), x_ptrs.data(), count * sizeof(float*), cudaMemcpyHostToDevice, stream));
  SM_CUBLAS_TRY(cublasStrsmBatched(blas, CUBLAS_SIDE_RIGHT, CUBLAS_FILL_MODE_UPPER, CUBLAS_OP_T, CUBLAS_DIAG_NON_UNIT,
                                   w.n, w.k, &one, d_t_ptrs.get(), w.ld_s, d_x_ptrs.get(), w.ld_x, int(count)));
  // Q = I − V·Xᵀ, then back into A (the GEMM cannot write over V, which it reads).
  launch_set_identity(count, n, q.get(), stream);
  SM_CUBLAS_TRY(cublasSgemmStridedBatched(blas, CUBLAS_OP_N, CUBLAS_OP_T, w.n, w.n, w.k, &minus_one, out.a, w.ld_v,
                                          w.stride_a, x.get(), w.ld_x, w.stride_x, &one, q.get(), w.ld_q, w.stride_a,
                                          int(count)));
  SM_CUDA_TRY(cudaMemcpyAsync(out.a, q.get(), q.bytes(), cudaMemcpyDeviceToDevice, stream));
  // t_inv, x and q (secret: they determine Q) are wiped by their destructors after the stream's work.
}

}  // namespace

size_t haar_fixed_bytes(uint32_t n, HaarMethod method) {
  if (method == HaarMethod::CompactWy) return 0;       // cuBLAS's own workspace is in the caller's slack
  return (size_t(n) * 1024 + (size_t(4) << 20)) * sizeof(float);  // orgqr: n × panel width, plus slack
}

size_t haar_bytes_per_matrix(uint32_t n, HaarMethod method) {
  if (method == HaarMethod::Orgqr) return 0;
  const WyShapes w = wy_shapes(n);
  return size_t(w.stride_s + w.stride_x + w.stride_a) * sizeof(float) + 2 * sizeof(float*);  // T⁻¹, X, Q, pointers
}

void form_haar(cublasHandle_t blas, cusolverDnHandle_t solver, cudaStream_t stream, const KeyWords* keys,
               uint32_t count, uint32_t n, HaarMethod method, const HaarBuffers& out) {
  if (count == 0) return;
  const size_t nn = size_t(n) * n;
  // Both paths rely on zeros above the diagonal (WY reads them as part of V); zeroing also keeps every
  // run identical.
  SM_CUDA_TRY(cudaMemsetAsync(out.a, 0, size_t(count) * nn * sizeof(float), stream));
  launch_householder_fill(keys, count, n, out.a, stream);
  launch_householder_normalize(count, n, out.a, out.tau, out.sign, stream);
  if (method == HaarMethod::CompactWy)
    form_q_compact_wy(blas, stream, count, n, out);
  else
    form_q_orgqr(solver, count, n, out);
  launch_sign_fix(count, n, out.a, out.sign, stream);
}

void check_orgqr_info(const int* info, uint32_t count, cudaStream_t stream) {
  std::vector<int> host(count);
  SM_CUDA_TRY(cudaMemcpyAsync(host.data(), info, count * sizeof(int), cudaMemcpyDeviceToHost, stream));
  SM_CUDA_TRY(cudaStreamSynchronize(stream));
  for (uint32_t m = 0; m < count; ++m)
    if (host[m] != 0)
      throw Error(ErrorCode::Backend, "cusolverDnSorgqr: info " + std::to_string(host[m]) + " for matrix " +
                                          std::to_string(m) + " of the batch");
}

}  // namespace spheremask::cuda
