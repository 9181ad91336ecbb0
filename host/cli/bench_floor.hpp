// The CPU enrollment floor of DESIGN §5 / issue 2: forming Q costs (4/3)n³ flop, so one core cannot
// enroll faster than its single-thread SGEMM rate divided by that.
#pragma once
#include <cstdint>

namespace spheremask::cli {

// Median single-thread SGEMM rate (GFLOP/s) on n×n×n products, measured now.
double single_thread_sgemm_gflops(uint32_t n);

// Enrollments per second at the floor for `threads` cores.
inline double cpu_enroll_floor_per_second(uint32_t n, double gflops, int threads) {
  const double flop = 4.0 / 3.0 * double(n) * n * n;
  return threads * gflops * 1e9 / flop;
}

}  // namespace spheremask::cli
