// SMHD v2 chunk digests of P where P already is: on the device, right after enrollment formed it or
// verification uploaded it (chunk_hash_plan.hpp has the plan and the per-thread body).
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace spheremask::cuda {

// digests (device, records · digest_chunk_count(p_bytes) · 32 bytes) ← the SHA-256 of every 16 KiB chunk
// of each of `records` contiguous P of p_bytes bytes at p (device), record by record in chunk order.
// Enqueues on stream and checks the launch; does not synchronize.
void launch_chunk_digests(const uint8_t* p, size_t p_bytes, size_t records, uint8_t* digests, cudaStream_t stream);

}  // namespace spheremask::cuda
