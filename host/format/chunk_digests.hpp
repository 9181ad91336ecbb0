// SHA-256 of every 16 KiB chunk of P (the leaves of the SMHD v2 digest tree, DESIGN §4). Chunks of one
// record are equal-length independent messages, so they hash on interleaved SHA-NI lanes and, for
// large P, on several threads. Which of OpenSSL, 4 lanes or 8 lanes is fastest depends on the CPU: it
// is measured once per process, never assumed.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "crypto/crypto.hpp"
#include "crypto/sha256_lanes.hpp"

namespace spheremask::format {

constexpr size_t kChunkBytes = 16384;

inline size_t chunk_count(size_t p_bytes) { return (p_bytes + kChunkBytes - 1) / kChunkBytes; }

// The method chosen for this CPU: the fastest of Portable (OpenSSL), Lanes4 and Lanes8 on 32 chunks,
// measured on first use (thread CPU time, best of five interleaved rounds; about 8 ms) and cached for
// the process.
crypto::HashImpl fastest_chunk_hasher();
const char* hash_impl_name(crypto::HashImpl impl);

// out[i] = SHA-256(chunk i of p); out holds chunk_count(p.size()) digests. threads: 0 = decide from the
// size (one thread below 4 MiB of P, where starting threads costs more than it saves), else at most that
// many. impl Best = fastest_chunk_hasher().
void chunk_digests(std::span<const uint8_t> p, crypto::Digest* out, int threads = 0,
                   crypto::HashImpl impl = crypto::HashImpl::Best);

}  // namespace spheremask::format
