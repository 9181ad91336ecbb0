// SHA-256 of one 16 KiB chunk of a record's P (the leaves of the SMHD v2 digest tree, DESIGN §4): the
// body of the GPU chunk kernel, compiled for the host too so that the tests hold exactly this code to
// the CPU chunk hashers (OpenSSL and the SHA-NI lanes).
#pragma once
#include <cstddef>
#include <cstdint>

#include "spheremask/detail/hd.hpp"
#include "spheremask/detail/sha256.hpp"

namespace spheremask::detail {

constexpr size_t kDigestChunkBytes = 16384;

SM_HD inline size_t digest_chunk_count(size_t p_bytes) { return (p_bytes + kDigestChunkBytes - 1) / kDigestChunkBytes; }

// Bytes of chunk `chunk` of a P of p_bytes bytes: 16 KiB, or what is left for the last one.
SM_HD inline size_t digest_chunk_length(size_t p_bytes, size_t chunk) {
  const size_t off = chunk * kDigestChunkBytes;
  return p_bytes - off < kDigestChunkBytes ? p_bytes - off : kDigestChunkBytes;
}

// out = SHA-256(bytes [16384·chunk, +digest_chunk_length) of p). p is P exactly as serialized (f32 or
// f16, little-endian, row-major); chunk < digest_chunk_count(p_bytes).
SM_HD inline void chunk_sha256(const uint8_t* p, size_t p_bytes, size_t chunk, uint8_t out[32]) {
  const uint8_t* src = p + chunk * kDigestChunkBytes;
  const size_t len = digest_chunk_length(p_bytes, chunk);
  Sha256 s;
  size_t done = 0;
#if defined(__CUDA_ARCH__)
  // Whole 64-byte blocks as four 16-byte loads where the chunk is 16-byte aligned (P of f32 with even
  // n, of f16 with n % 4 == 0, at every record and chunk offset of a contiguous batch); bytes are the
  // same either way, and SHA-256's big-endian word order is applied by compress. Elsewhere (odd
  // offsets of small f16 records) byte loads, which need no alignment.
  if ((reinterpret_cast<uintptr_t>(src) & 15u) == 0) {
    const uint4* v = reinterpret_cast<const uint4*>(src);
    for (; done + 64 <= len; done += 64, v += 4) {
      const uint4 block[4] = {__ldg(v), __ldg(v + 1), __ldg(v + 2), __ldg(v + 3)};
      s.update(reinterpret_cast<const uint8_t*>(block), 64);
    }
  }
#endif
  s.update(src + done, len - done);
  s.final(out);
}

}  // namespace spheremask::detail
