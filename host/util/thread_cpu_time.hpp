// CPU time of the calling thread. On a loaded machine wall-clock timings mostly measure how long a thread
// waited for a core; choices made from timings (hashing lanes) and benchmark rows read this instead.
#pragma once
#include <ctime>

namespace spheremask::internal {

inline double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

}  // namespace spheremask::internal
