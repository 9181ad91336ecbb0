// CPU floors of DESIGN §5. Enrollment: forming Q costs (4/3)n³ flop, so one core cannot
// enroll faster than its single-thread SGEMM rate divided by that. Verification of a genuine probe:
// the MAC hashes header ‖ P, so one core cannot verify faster than its SHA-256 rate over those bytes
// (measured with the same multi-record hashing the engine uses; reading P for P·t' comes on top).
// SMHD v2 hashes P once, at parse, in 16 KiB chunks: the floor of verification from bytes.
#pragma once
#include <cstddef>
#include <cstdint>

namespace spheremask::cli {

// Median single-thread SGEMM rate (GFLOP/s) on n×n×n products, measured now.
double single_thread_sgemm_gflops(uint32_t n);

// Median single-thread HMAC-SHA-256 rate (GB/s) over batches of `message_bytes`-long messages.
double single_thread_mac_gbs(size_t message_bytes);

// Median single-thread rate (GB/s) of the SMHD v2 chunk digests of a `p_bytes`-long P, with the
// method this CPU chose (format::fastest_chunk_hasher): the one pass over P that verification from
// bytes cannot avoid.
double single_thread_chunk_hash_gbs(size_t p_bytes);

// Enrollments per second at the floor for `threads` cores.
inline double cpu_enroll_floor_per_second(uint32_t n, double gflops, int threads) {
  const double flop = 4.0 / 3.0 * double(n) * n * n;
  return threads * gflops * 1e9 / flop;
}

}  // namespace spheremask::cli
