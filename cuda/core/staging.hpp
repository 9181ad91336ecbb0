// Transfers between scattered host arrays (one per record) and one contiguous device array through
// two pinned slots used in turn: the host copy into one slot overlaps the DMA of the other. A slot
// carries as many records (or parts of one) as fit, and is filled or emptied by several threads.
#pragma once
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstddef>
#include <span>

#include "cuda/core/cuda_raii.hpp"

namespace spheremask::cuda {

class StagingRing {
 public:
  // copy_threads: host threads that fill or empty a slot (the engine's thread count, at most 8).
  explicit StagingRing(int copy_threads, size_t slot_bytes = size_t(32) << 20)
      : slot_bytes_(slot_bytes), copy_threads_(std::clamp(copy_threads, 1, 8)) {}

  // dst[i·bytes_each ...] ← src[i][0 .. bytes_each), enqueued on stream.
  void upload(std::span<const void* const> src, size_t bytes_each, void* dst, cudaStream_t stream);
  // dst[i][0 .. bytes_each) ← src[i·bytes_each ...]; returns when every host array is written.
  void download(const void* src, size_t bytes_each, std::span<void* const> dst, cudaStream_t stream);

 private:
  struct Slot {
    PinnedBuffer buffer;
    Event done;
    bool busy = false;
    // download: bytes [pending_first, + pending_len) of the concatenated parts, to be copied out of the
    // slot once `done` fires.
    std::span<void* const> pending_parts;
    size_t pending_each = 0, pending_first = 0, pending_len = 0;
  };
  void ensure_slots();
  void download_pieces(const void* src, size_t bytes_each, std::span<void* const> dst, cudaStream_t stream);
  void forget_pending() noexcept;
  Slot& acquire(size_t piece);  // waits for the slot's previous transfer, finishing a pending download

  size_t slot_bytes_;
  int copy_threads_;
  Slot slots_[2];
  bool allocated_ = false;
};

}  // namespace spheremask::cuda
