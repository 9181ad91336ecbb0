// Splits [0, count) into contiguous chunks run on up to `threads` std::threads (the caller's thread
// takes the first chunk). The first exception thrown by any chunk is rethrown after all have joined.
#pragma once
#include <algorithm>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace spheremask::internal {

inline int resolve_threads(int requested) {
  if (requested > 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : int(hw);
}

template <class Fn>  // fn(begin, end, worker)
void parallel_for(size_t count, int threads, Fn&& fn) {
  const size_t workers = std::min<size_t>(size_t(std::max(threads, 1)), count);
  if (workers <= 1) {
    if (count > 0) fn(size_t(0), count, 0);
    return;
  }
  std::exception_ptr error;
  std::mutex error_mutex;
  auto run = [&](size_t w) {
    const size_t begin = count * w / workers, end = count * (w + 1) / workers;
    try {
      fn(begin, end, int(w));
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (size_t w = 1; w < workers; ++w) pool.emplace_back(run, w);
  run(0);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace spheremask::internal
