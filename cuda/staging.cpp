#include "staging.hpp"

#include <algorithm>
#include <cstring>

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
    if (slot.pending_dst) std::memcpy(slot.pending_dst, slot.buffer.get(), slot.pending_bytes);
    slot.pending_dst = nullptr;
    slot.busy = false;
  }
  return slot;
}

void StagingRing::upload(std::span<const void* const> src, size_t bytes_each, void* dst, cudaStream_t stream) {
  ensure_slots();
  auto* out = static_cast<unsigned char*>(dst);
  size_t piece = 0;
  for (size_t i = 0; i < src.size(); ++i) {
    const auto* in = static_cast<const unsigned char*>(src[i]);
    for (size_t off = 0; off < bytes_each; off += slot_bytes_, ++piece) {
      const size_t len = std::min(slot_bytes_, bytes_each - off);
      Slot& slot = acquire(piece);
      std::memcpy(slot.buffer.get(), in + off, len);
      SM_CUDA_TRY(cudaMemcpyAsync(out + i * bytes_each + off, slot.buffer.get(), len, cudaMemcpyHostToDevice, stream));
      slot.done.record(stream);
      slot.busy = true;
    }
  }
}

void StagingRing::forget_pending() noexcept {
  for (Slot& s : slots_) {
    if (s.busy) SM_CUDA_TRY_NO_THROW(cudaEventSynchronize(s.done.get()));
    s.busy = false;
    s.pending_dst = nullptr;
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
  size_t piece = 0;
  for (size_t i = 0; i < dst.size(); ++i) {
    auto* out = static_cast<unsigned char*>(dst[i]);
    for (size_t off = 0; off < bytes_each; off += slot_bytes_, ++piece) {
      const size_t len = std::min(slot_bytes_, bytes_each - off);
      Slot& slot = acquire(piece);
      SM_CUDA_TRY(cudaMemcpyAsync(slot.buffer.get(), in + i * bytes_each + off, len, cudaMemcpyDeviceToHost, stream));
      slot.done.record(stream);
      slot.busy = true;
      slot.pending_dst = out + off;
      slot.pending_bytes = len;
    }
  }
  // Drain in issue order: the older piece sits in the slot after the last one used.
  acquire(piece);
  acquire(piece + 1);
}

}  // namespace spheremask::cuda
