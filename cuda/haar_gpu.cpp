#include "haar_gpu.hpp"

#include <string>
#include <vector>

#include "cuda_check.hpp"
#include "cuda_raii.hpp"

namespace spheremask::cuda {

size_t orgqr_workspace_estimate_bytes(uint32_t n) {
  return (size_t(n) * 1024 + (size_t(4) << 20)) * sizeof(float);  // n × panel width, plus slack
}

void form_haar(cusolverDnHandle_t solver, cudaStream_t stream, const KeyWords* keys, uint32_t count, uint32_t n,
               const HaarBuffers& out) {
  if (count == 0) return;
  const size_t nn = size_t(n) * n;
  const int ni = int(n), k = int(n) - 1;
  // orgqr never reads above the diagonal, but a zeroed matrix keeps every run identical.
  SM_CUDA_TRY(cudaMemsetAsync(out.a, 0, size_t(count) * nn * sizeof(float), stream));
  launch_householder_fill(keys, count, n, out.a, stream);
  launch_householder_normalize(count, n, out.a, out.tau, out.sign, stream);
  int lwork = 0;
  SM_CUSOLVER_TRY(cusolverDnSorgqr_bufferSize(solver, ni, ni, k, out.a, ni, out.tau, &lwork));
  DeviceBuffer<float> work(size_t(lwork > 0 ? lwork : 1), Secret::Yes);  // holds parts of Q while it works
  for (uint32_t m = 0; m < count; ++m)
    SM_CUSOLVER_TRY(cusolverDnSorgqr(solver, ni, ni, k, out.a + m * nn, ni, out.tau + size_t(m) * n, work.get(), lwork,
                                     out.info + m));
  launch_sign_fix(count, n, out.a, out.sign, stream);
  work.zero(stream);  // the destructor's wipe would do it too; this keeps it on the stream's order
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
