// Batched Haar matrices on the GPU by Stewart's method (DESIGN §3), same conventions as
// host/cpu/haar_cpu.cpp: Householder vectors sampled from the ChaCha20 stream, Q formed either by cuSOLVER
// orgqr (one call per matrix) or by the batched compact-WY form (haar_method.hpp), then
// Q ← Q·diag(sign β). Results are column-major.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cusolverDn.h>

#include <cstddef>
#include <cstdint>

#include "cuda/haar/haar_method.hpp"
#include "cuda/core/kernels.hpp"

namespace spheremask::cuda {

// Device bytes the method needs besides the buffers below: per call (an upper bound used to plan
// chunks before orgqr's exact workspace query, which needs the buffers) and per matrix of the chunk.
size_t haar_fixed_bytes(uint32_t n, HaarMethod method);
size_t haar_bytes_per_matrix(uint32_t n, HaarMethod method);

struct HaarBuffers {
  float* a;     // count × n × n: Householder vectors in, Q out
  float* tau;   // count × n
  float* sign;  // count × n
  int* info;    // count (orgqr's codes; zero on the WY path)
};

// Enqueues the whole pipeline for `count` keys (device array) on stream (the stream of both handles).
// Allocates (and wipes) its workspaces itself. The caller checks `info` with check_orgqr_info after
// synchronizing.
void form_haar(cublasHandle_t blas, cusolverDnHandle_t solver, cudaStream_t stream, const KeyWords* keys,
               uint32_t count, uint32_t n, HaarMethod method, const HaarBuffers& out);

// Copies the orgqr info codes back (synchronizing the stream) and throws Error{Backend} on any nonzero.
void check_orgqr_info(const int* info, uint32_t count, cudaStream_t stream);

}  // namespace spheremask::cuda
