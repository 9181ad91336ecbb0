// The GPU chunk-digest kernel's plan and per-thread body (cuda/format/chunk_hash_plan.hpp,
// detail/chunk_sha256.hpp), run here on the host over every chunk-boundary case of P and held to the
// CPU chunk digests (OpenSSL and the SHA-NI lanes): the device kernel runs exactly this code, with
// 16-byte loads in place of byte loads where the chunk is aligned (checked on a GPU by CudaChunkDigests).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "crypto/crypto.hpp"
#include "cuda/format/chunk_hash_plan.hpp"
#include "format/chunk_digests.hpp"
#include "spheremask/detail/chunk_sha256.hpp"
#include "spheremask/record.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using testing::to_hex;

// n whose P is an exact multiple of 16 KiB (f32: 64, 128, 512, 4096; f16: 128, 256, 1024, 2048), just
// under or over one (63, 65, 90, 91, 181, 362, 363), tiny (2, 3) and not a multiple of anything (1000):
// the cases of the record format tests.
const std::vector<uint32_t> kBoundaryNs = {2, 3, 63, 64, 65, 90, 91, 128, 181, 256, 362, 363, 512, 1000, 1024, 2048, 4096};

std::vector<uint8_t> pattern_bytes(size_t bytes, uint32_t seed) {
  std::vector<uint8_t> b(bytes);
  std::mt19937 rng(seed);
  for (size_t i = 0; i < bytes; i += 4) {
    const uint32_t w = rng();
    for (size_t k = 0; k < 4 && i + k < bytes; ++k) b[i + k] = uint8_t(w >> (8 * k));
  }
  return b;
}

TEST(ChunkHashPlan, CountsAndLastChunkForEveryBoundaryCaseUpTo16384) {
  std::vector<uint32_t> ns = kBoundaryNs;
  ns.insert(ns.end(), {8192, 16384});
  for (Dtype d : {Dtype::F32, Dtype::F16}) {
    for (uint32_t n : ns) {
      SCOPED_TRACE("n = " + std::to_string(n) + (d == Dtype::F32 ? " f32" : " f16"));
      Record shape;
      shape.m = shape.n = n;
      shape.dtype = d;
      const size_t pb = shape.p_bytes();
      for (size_t records : {size_t(1), size_t(7), size_t(4096)}) {
        const auto plan = cuda::chunk_hash_plan(pb, records);
        EXPECT_EQ(plan.chunks_per_record, format::chunk_count(pb));
        EXPECT_EQ(plan.chunks_per_record, shape.chunk_count());
        EXPECT_EQ(plan.last_chunk_bytes, pb - (plan.chunks_per_record - 1) * kRecordChunkBytes);
        EXPECT_GE(plan.last_chunk_bytes, 1u);
        EXPECT_LE(plan.last_chunk_bytes, kRecordChunkBytes);
        EXPECT_EQ(plan.last_chunk_bytes == kRecordChunkBytes, pb % kRecordChunkBytes == 0);
        EXPECT_EQ(plan.total_chunks, records * plan.chunks_per_record);
        // The grid-stride loop covers every chunk with at least one block and never exceeds the cap.
        EXPECT_GE(plan.blocks, 1u);
        EXPECT_LE(plan.blocks, cuda::kMaxGridStrideBlocks);
        EXPECT_EQ(plan.blocks, cuda::grid_stride_blocks(plan.total_chunks, plan.threads_per_block));
        size_t covered = 0;
        for (size_t c = 0; c < plan.chunks_per_record; ++c) covered += detail::digest_chunk_length(pb, c);
        EXPECT_EQ(covered, pb) << "chunks tile P exactly";
      }
    }
  }
  EXPECT_EQ(cuda::chunk_hash_plan(0, 5).total_chunks, 0u);
}

// The whole grid emulated on the host: records laid back to back as the device holds them (so f16
// records of odd n start at odd offsets), every thread's digest against format::chunk_digests of its
// record with OpenSSL and with the fastest lanes. P over 4 MiB (one record): the threads of the first
// two, a middle and the last chunk, against OpenSSL (hashing all of it here would take seconds).
TEST(ChunkHashPlan, EmulatedGridMatchesCpuChunkDigestsInEveryBoundaryCase) {
  for (Dtype d : {Dtype::F32, Dtype::F16}) {
    for (uint32_t n : kBoundaryNs) {
      SCOPED_TRACE("n = " + std::to_string(n) + (d == Dtype::F32 ? " f32" : " f16"));
      const size_t pb = size_t(n) * n * dtype_size(d);
      const bool small = pb <= (size_t(4) << 20);
      const size_t records = small ? 3 : 1;
      const auto p = pattern_bytes(records * pb, n * 2 + uint32_t(d));
      const auto plan = cuda::chunk_hash_plan(pb, records);
      std::vector<uint8_t> device_like(plan.total_chunks * 32);
      if (!small) {
        for (size_t g : {size_t(0), size_t(1), plan.total_chunks / 2, plan.total_chunks - 1}) {
          cuda::chunk_hash_thread(pb, plan.chunks_per_record, p.data(), g, device_like.data());
          const size_t off = g * kRecordChunkBytes;
          const auto want = crypto::sha256({p.data() + off, std::min(kRecordChunkBytes, pb - off)});
          ASSERT_EQ(to_hex({device_like.data() + 32 * g, 32}), to_hex(want)) << "chunk " << g;
        }
        continue;
      }
      for (size_t g = 0; g < plan.total_chunks; ++g)
        cuda::chunk_hash_thread(pb, plan.chunks_per_record, p.data(), g, device_like.data());
      for (size_t r = 0; r < records; ++r) {
        const std::span<const uint8_t> rec(p.data() + r * pb, pb);
        for (auto impl : {crypto::HashImpl::Portable, crypto::HashImpl::Best}) {
          std::vector<crypto::Digest> cpu(plan.chunks_per_record);
          format::chunk_digests(rec, cpu.data(), 1, impl);
          for (size_t c = 0; c < cpu.size(); ++c)
            ASSERT_EQ(to_hex({device_like.data() + 32 * (r * plan.chunks_per_record + c), 32}), to_hex(cpu[c]))
                << "record " << r << " chunk " << c << " (" << format::hash_impl_name(impl) << ")";
        }
      }
    }
  }
}

// detail::chunk_sha256 against OpenSSL for random P lengths (every residue of the last 64-byte block,
// lengths just around the chunk size) and every chunk of each.
TEST(ChunkHashPlan, ChunkSha256MatchesOpenSslForRandomLengths) {
  std::mt19937 rng(17);
  std::vector<size_t> lengths = {1, 55, 56, 63, 64, 65, 119, 120, 16383, 16384, 16385, 32767, 32768, 32769};
  for (int i = 0; i < 40; ++i) lengths.push_back(1 + rng() % (5 * kRecordChunkBytes));
  for (size_t len : lengths) {
    const auto p = pattern_bytes(len, uint32_t(len));
    for (size_t c = 0; c < detail::digest_chunk_count(len); ++c) {
      uint8_t out[32];
      detail::chunk_sha256(p.data(), len, c, out);
      const size_t off = c * kRecordChunkBytes;
      const auto want = crypto::sha256({p.data() + off, std::min(kRecordChunkBytes, len - off)});
      ASSERT_EQ(to_hex({out, 32}), to_hex(want)) << "length " << len << " chunk " << c;
    }
  }
}

}  // namespace
}  // namespace spheremask
