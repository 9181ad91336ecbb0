// How the staging ring (staging.cpp) moves a slot's worth of bytes between pinned memory and the host
// arrays of several records: pieces of a range of their concatenation, copied by several threads.
// Plain C++ (no CUDA headers) so it is unit-tested on machines without a GPU.
#pragma once
#include <algorithm>
#include <cstddef>

#include "util/parallel.hpp"

namespace spheremask::cuda {

// Calls copy(part, offset in part, offset in range, length) for the pieces of bytes [first, first + len)
// of the concatenation of equal parts of `each` bytes.
template <class Copy>
void for_each_piece(size_t each, size_t first, size_t len, Copy&& copy) {
  for (size_t pos = first, end = first + len; pos < end;) {
    const size_t part = pos / each, off = pos % each, n = std::min(each - off, end - pos);
    copy(part, off, pos - first, n);
    pos += n;
  }
}

// Bytes per copying thread at the least, so that starting a thread costs little next to its share.
constexpr size_t kMinCopyBytesPerThread = size_t(4) << 20;

// for_each_piece split over up to max_threads threads: one core copies ~10 GB/s, less than PCIe moves, so a
// slot's worth of bytes is copied by several (min_per_thread bytes or more each).
template <class Copy>
void copy_pieces(size_t each, size_t first, size_t len, Copy&& copy,
                 size_t min_per_thread = kMinCopyBytesPerThread, int max_threads = 8) {
  const size_t threads = std::min<size_t>(size_t(std::max(max_threads, 1)), len / min_per_thread);
  if (threads <= 1) return for_each_piece(each, first, len, copy);
  internal::parallel_for(threads, int(threads), [&](size_t begin, size_t end, int) {
    for (size_t k = begin; k < end; ++k) {
      const size_t from = len * k / threads, to = len * (k + 1) / threads;
      for_each_piece(each, first + from, to - from,
                     [&](size_t part, size_t off, size_t at, size_t n) { copy(part, off, from + at, n); });
    }
  });
}

}  // namespace spheremask::cuda
