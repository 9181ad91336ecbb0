// Plain C++ arithmetic behind the CUDA launches and chunking (no CUDA headers), so that it can be
// unit-tested on machines without a GPU.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "spheremask/detail/hd.hpp"

namespace spheremask::cuda {

SM_HD constexpr uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

// Blocks of `threads` for a grid-stride loop over `total` elements: one element per thread, capped at
// 65535·16 blocks (enough to fill any device; the loop covers the rest).
constexpr unsigned kMaxGridStrideBlocks = 65535u * 16u;
constexpr unsigned grid_stride_blocks(uint64_t total, unsigned threads) {
  const uint64_t blocks = ceil_div(total, threads);
  return unsigned(blocks < kMaxGridStrideBlocks ? blocks : kMaxGridStrideBlocks);
}

// Largest number of items (≤ total, ≤ cap) whose per-item bytes fit, next to fixed bytes, in the
// given fraction of the free device memory. 0 when not even one fits.
inline size_t items_per_chunk(size_t free_bytes, size_t fixed_bytes, size_t per_item_bytes, size_t total,
                              size_t cap, double usable_fraction = 0.85) {
  const double usable = double(free_bytes) * usable_fraction;
  if (usable <= double(fixed_bytes) || per_item_bytes == 0) return 0;
  const size_t fit = size_t((usable - double(fixed_bytes)) / double(per_item_bytes));
  return std::min({fit, total, cap});
}

// Gaussian stream elements needed for Stewart's method of an n×n Haar matrix: x_k = elements k·n + j
// for j < n−k (k ≤ n−2) and the sign element (n−1)·n. All lie below (n−1)·n + 1.
SM_HD constexpr uint64_t householder_stream_elements(uint32_t n) { return uint64_t(n - 1) * n + 1; }
// ChaCha20 blocks (16 elements each) covering them: one fill thread per block.
SM_HD constexpr uint64_t householder_stream_blocks(uint32_t n) { return ceil_div(householder_stream_elements(n), 16); }

constexpr uint64_t kNoSlot = ~uint64_t(0);

// Column-major offset in the n×n Householder matrix A of stream element e, or kNoSlot when Stewart's
// method does not use e. Element k·n + j (j < n−k) is x_k[j], stored at row k + j of column k:
// offset (k + j) + k·n = e + k. The sign element (n−1)·n lands on the diagonal (n−1, n−1).
SM_HD inline constexpr uint64_t householder_slot(uint64_t e, uint32_t n) {
  const uint64_t k = e / n, j = e % n;
  if (k + 1 < n && j < n - k) return e + k;
  if (k + 1 == n && j == 0) return e + k;
  return kNoSlot;
}

// The tiled transpose that forms row-major P from column-major Q uses 32×32 tiles.
constexpr uint32_t kTile = 32;
constexpr uint32_t kTileRows = 8;  // threads per tile column; each thread handles kTile/kTileRows rows

// Probes per identification pass: Y of one record (n × probes) stays no larger than its P (n × n).
inline size_t identify_probe_block(size_t probes, uint32_t n) {
  return std::max<size_t>(1, std::min<size_t>(probes, std::max<uint32_t>(n, 64)));
}

}  // namespace spheremask::cuda
