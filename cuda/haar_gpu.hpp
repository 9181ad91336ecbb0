// Batched Haar matrices on the GPU by Stewart's method (DESIGN §3), same conventions as
// host/haar_cpu.cpp: Householder vectors sampled from the ChaCha20 stream, Q formed by cuSOLVER orgqr,
// then Q ← Q·diag(sign β). Results are column-major.
#pragma once
#include <cuda_runtime_api.h>
#include <cusolverDn.h>

#include <cstddef>
#include <cstdint>

#include "kernels.hpp"

namespace spheremask::cuda {

// Device memory orgqr needs besides the matrices (an upper bound used to plan chunks before the
// exact workspace query, which needs the buffers).
size_t orgqr_workspace_estimate_bytes(uint32_t n);

struct HaarBuffers {
  float* a;     // count × n × n: Householder vectors in, Q out
  float* tau;   // count × n
  float* sign;  // count × n
  int* info;    // count
};

// Enqueues the whole pipeline for `count` keys (device array) on stream. Allocates (and wipes) the
// orgqr workspace itself. The caller checks `info` with check_orgqr_info after synchronizing.
void form_haar(cusolverDnHandle_t solver, cudaStream_t stream, const KeyWords* keys, uint32_t count, uint32_t n,
               const HaarBuffers& out);

// Copies the orgqr info codes back (synchronizing the stream) and throws Error{Backend} on any nonzero.
void check_orgqr_info(const int* info, uint32_t count, cudaStream_t stream);

}  // namespace spheremask::cuda
