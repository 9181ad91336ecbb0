// SHA-256 and HMAC-SHA-256 of many messages at once. On x86 with the SHA extensions one core hashes up
// to four (or eight) messages interleaved: a single SHA-256 stream is bound by the latency of
// sha256rnds2, so independent streams overlap in the pipeline (four: 1.75 → 3.1 GB/s measured on the dev
// VM's EPYC). Uses: the 16 KiB chunks of a v2 record (format/chunk_digests, which measures which lane
// count pays on the running CPU) and the MACs and checksums of v1 records in a batch. Elsewhere, or when
// the CPU lacks the extensions, each message goes through OpenSSL. Results are bit-identical either way.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "crypto/crypto.hpp"

namespace spheremask::crypto {

// One message: the concatenation of its parts (empty parts allowed).
struct Sha256Job {
  std::array<std::span<const uint8_t>, 3> parts;
};

// HMAC-SHA-256 under a 32-byte key of the message a ‖ b.
struct HmacJob {
  const uint8_t* key;
  std::span<const uint8_t> a, b;
};

// Best: four interleaved lanes where the CPU has the SHA extensions, else OpenSSL. Portable forces
// OpenSSL, one message at a time. Lanes4 / Lanes8 force that many lanes (OpenSSL without the
// extensions): chunk hashing measures them against OpenSSL and keeps the fastest (format/chunk_digests).
enum class HashImpl { Best, Portable, Lanes4, Lanes8 };

bool sha256_lanes_available();  // the CPU has the SHA extensions (and this build can use them)

void sha256_many(std::span<const Sha256Job> jobs, Digest* out, HashImpl impl = HashImpl::Best);
void hmac_sha256_many(std::span<const HmacJob> jobs, Digest* out, HashImpl impl = HashImpl::Best);

}  // namespace spheremask::crypto
