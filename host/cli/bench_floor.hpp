// CPU floors of DESIGN §5. Enrollment: forming Q costs (4/3)n³ flop, so one core cannot
// enroll faster than its single-thread SGEMM rate divided by that. Verification of a genuine probe:
// the MAC hashes header ‖ P, so one core cannot verify faster than its SHA-256 rate over those bytes
// (measured with the same multi-record hashing the engine uses; reading P for P·t' comes on top).
// SMHD v2 hashes P once, at parse, in 16 KiB chunks: the floor of verification from bytes.
#pragma once
#include <cstddef>
#include <cstdint>

#include "util/thread_cpu_time.hpp"

namespace spheremask::cli {

using internal::thread_cpu_seconds;  // the benchmark rows time in thread CPU time too

// Median single-thread SGEMM rate (GFLOP/s) on n×n×n products, measured now.
double single_thread_sgemm_gflops(uint32_t n);

// Median single-thread HMAC-SHA-256 rate (GB/s) over batches of `message_bytes`-long messages.
double single_thread_mac_gbs(size_t message_bytes);

// The one pass over P that verification from bytes cannot avoid: the SMHD v2 chunk digests of a
// `p_bytes`-long P on one thread, timed for each method (OpenSSL, 4 and 8 SHA-NI lanes) in interleaved
// rounds; the fastest method's median rate, in wall time and in this thread's CPU time (on a shared
// machine the CPU-time rate is the one that does not count waiting for a core).
struct ChunkHashRate {
  double wall_gbs = 0;
  double cpu_gbs = 0;
  const char* impl = "";  // the method that gave wall_gbs
};
ChunkHashRate single_thread_chunk_hash_rate(size_t p_bytes);

// Enrollments per second at the floor for `threads` cores.
inline double cpu_enroll_floor_per_second(uint32_t n, double gflops, int threads) {
  const double flop = 4.0 / 3.0 * double(n) * n * n;
  return threads * gflops * 1e9 / flop;
}

}  // namespace spheremask::cli
