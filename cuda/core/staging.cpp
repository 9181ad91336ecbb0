#include "cuda/core/staging.hpp"

#include <algorithm>
#include <cstring>

#include "cuda/core/piece_copy.hpp"

namespace spheremask::cuda {

void StagingRing::ensure_slots() {
  if (allocated_) return;
  for (Slot& s : slots_) s.buffer = PinnedBuffer(slot_bytes_);
  allocated_ = true;
}

StagingRing::Slot& StagingRing::acquire(size_t piece) {
  Slot& slot = slots_[piece % 2];
  if (slot.busy) {
    slot.done.synchronize();
    if (!slot.pending_parts.empty()) {
      const unsigned char* pinned = slot.buffer.get();
      copy_pieces(slot.pending_each, slot.pending_first, slot.pending_len,
                  [&](size_t part, size_t off, size_t at, size_t n) {
                    std::memcpy(static_cast<unsigned char*>(slot.pending_parts[part]) + off, pinned + at, n);
                  },
                  kMinCopyBytesPerThread, copy_threads_);
    }
    slot.pending_parts = {};
    slot.busy = false;
  }
  return slot;
}

// Slot-sized pieces of the concatenated sources: several small records share one DMA.
void StagingRing::upload(std::span<const void* const> src, size_t bytes_each, void* dst, cudaStream_t stream) {
  ensure_slots();
  auto* out = static_cast<unsigned char*>(dst);
  const size_t total = src.size() * bytes_each;
  size_t piece = 0;
  for (size_t first = 0; first < total; first += slot_bytes_, ++piece) {
    const size_t len = std::min(slot_bytes_, total - first);
    Slot& slot = acquire(piece);
    unsigned char* pinned = slot.buffer.get();
    copy_pieces(bytes_each, first, len, [&](size_t part, size_t off, size_t at, size_t n) {
      std::memcpy(pinned + at, static_cast<const unsigned char*>(src[part]) + off, n);
    }, kMinCopyBytesPerThread, copy_threads_);
    SM_CUDA_TRY(cudaMemcpyAsync(out + first, pinned, len, cudaMemcpyHostToDevice, stream));
    slot.done.record(stream);
    slot.busy = true;
  }
}

void StagingRing::forget_pending() noexcept {
  for (Slot& s : slots_) {
    if (s.busy) SM_CUDA_TRY_NO_THROW(cudaEventSynchronize(s.done.get()));
    s.busy = false;
    s.pending_parts = {};
  }
}

void StagingRing::download(const void* src, size_t bytes_each, std::span<void* const> dst, cudaStream_t stream) {
  try {
    download_pieces(src, bytes_each, dst, stream);
  } catch (...) {
    forget_pending();  // never write into the caller's arrays after they may be gone
    throw;
  }
}

void StagingRing::download_pieces(const void* src, size_t bytes_each, std::span<void* const> dst,
                                  cudaStream_t stream) {
  ensure_slots();
  const auto* in = static_cast<const unsigned char*>(src);
  const size_t total = dst.size() * bytes_each;
  size_t piece = 0;
  for (size_t first = 0; first < total; first += slot_bytes_, ++piece) {
    const size_t len = std::min(slot_bytes_, total - first);
    Slot& slot = acquire(piece);
    SM_CUDA_TRY(cudaMemcpyAsync(slot.buffer.get(), in + first, len, cudaMemcpyDeviceToHost, stream));
    slot.done.record(stream);
    slot.busy = true;
    slot.pending_parts = dst;
    slot.pending_each = bytes_each;
    slot.pending_first = first;
    slot.pending_len = len;
  }
  // Drain in issue order: the older piece sits in the slot after the last one used.
  acquire(piece);
  acquire(piece + 1);
}

}  // namespace spheremask::cuda
