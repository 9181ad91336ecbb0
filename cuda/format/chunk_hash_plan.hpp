// Launch plan of the GPU chunk-digest kernel (chunk_hash_kernels.cu): one thread per 16 KiB chunk of
// each record's P, records contiguous in device memory (record r at r·p_bytes, as the per-call enroll
// forms them and the per-call verify uploads them). Plain C++: the CPU tests run the same plan and
// the same per-thread body over host memory and compare with the CPU chunk digests.
//
// One thread per chunk (not a warp): SHA-256 of one chunk is sequential, and a batch gives enough
// chunks to fill the device (n = 512 f32: 64 chunks per record, so 1024 records are 65,536 threads).
#pragma once
#include <cstddef>
#include <cstdint>

#include "cuda/core/launch_shapes.hpp"
#include "spheremask/detail/chunk_sha256.hpp"
#include "spheremask/detail/hd.hpp"

namespace spheremask::cuda {

constexpr unsigned kChunkHashThreads = 128;

struct ChunkHashPlan {
  size_t p_bytes = 0;            // bytes of one record's P
  size_t records = 0;
  size_t chunks_per_record = 0;  // digest_chunk_count(p_bytes)
  size_t last_chunk_bytes = 0;   // 16384, or fewer when p_bytes is not a multiple of 16 KiB
  size_t total_chunks = 0;       // records · chunks_per_record: the threads that hash
  unsigned threads_per_block = kChunkHashThreads;
  unsigned blocks = 0;           // grid-stride: ceil(total_chunks / threads_per_block), capped
};

inline ChunkHashPlan chunk_hash_plan(size_t p_bytes, size_t records) {
  ChunkHashPlan plan;
  plan.p_bytes = p_bytes;
  plan.records = records;
  plan.chunks_per_record = detail::digest_chunk_count(p_bytes);
  plan.last_chunk_bytes = plan.chunks_per_record ? detail::digest_chunk_length(p_bytes, plan.chunks_per_record - 1) : 0;
  plan.total_chunks = records * plan.chunks_per_record;
  plan.blocks = grid_stride_blocks(plan.total_chunks, plan.threads_per_block);
  return plan;
}

// Thread `thread` of the plan (0 ≤ thread < total_chunks): chunk thread % chunks_per_record of record
// thread / chunks_per_record; its digest at digests + 32·thread, so record r's digests are the
// chunks_per_record consecutive ones from 32·r·chunks_per_record, in chunk order.
SM_HD inline void chunk_hash_thread(size_t p_bytes, size_t chunks_per_record, const uint8_t* p, size_t thread,
                                    uint8_t* digests) {
  const size_t record = thread / chunks_per_record;
  const size_t chunk = thread - record * chunks_per_record;
  detail::chunk_sha256(p + record * p_bytes, p_bytes, chunk, digests + 32 * thread);
}

}  // namespace spheremask::cuda
