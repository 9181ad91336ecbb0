// The chunk-digest kernel: one thread per 16 KiB chunk of each record's P (plan and body in
// chunk_hash_plan.hpp, the SHA-256 in detail/sha256.hpp with its round constants in constant memory).
#include <cuda_runtime.h>

#include "cuda/core/cuda_check.hpp"
#include "cuda/format/chunk_hash_plan.hpp"
#include "cuda/format/device_chunk_digests.hpp"

namespace spheremask::cuda {
namespace {

// Grid-stride over the plan's threads. Each thread reads only its own chunk (at most 16 KiB from its
// record's start plus 16384·chunk, inside the record's p_bytes) and writes only its own 32 bytes: no
// shared memory, no barrier, no race.
__global__ void chunk_digests_kernel(const uint8_t* p, size_t p_bytes, size_t chunks_per_record, size_t total,
                                     uint8_t* digests) {
  for (size_t g = size_t(blockIdx.x) * blockDim.x + threadIdx.x; g < total; g += size_t(gridDim.x) * blockDim.x)
    chunk_hash_thread(p_bytes, chunks_per_record, p, g, digests);
}

}  // namespace

void launch_chunk_digests(const uint8_t* p, size_t p_bytes, size_t records, uint8_t* digests, cudaStream_t stream) {
  const ChunkHashPlan plan = chunk_hash_plan(p_bytes, records);
  if (plan.total_chunks == 0) return;
  chunk_digests_kernel<<<plan.blocks, plan.threads_per_block, 0, stream>>>(p, p_bytes, plan.chunks_per_record,
                                                                          plan.total_chunks, digests);
  SM_CUDA_CHECK_LAUNCH("chunk_digests_kernel");
}

}  // namespace spheremask::cuda
