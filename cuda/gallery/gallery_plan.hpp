// Placement arithmetic of a device-resident gallery (resident_gallery.cpp): how many P matrices stay on
// the device, how many are streamed per chunk on each call, and the tiles of the identification GEMM.
// Plain C++ (no CUDA headers) so it is unit-tested on machines without a GPU.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

#include "spheremask/error.hpp"

namespace spheremask::cuda {

// Device bytes set aside for the per-call buffers of identify/verify (probe block, Y, the f32 copy of
// a tile of f16 P) when deciding what stays resident.
constexpr size_t kGalleryWorkBytes = size_t(512) << 20;

// The first `resident` records stay in device memory; the rest are streamed `stream_chunk` at a time
// (through the pinned staging ring) on every call. resident + stream_chunk == 0: not even one fits.
struct GalleryPlan {
  size_t resident;
  size_t stream_chunk;
};

// budget_bytes: device bytes for the gallery's P, resident part and streaming buffer together.
// When everything fits, all is resident; otherwise a quarter of the budget (at least one record)
// is the streaming buffer and the rest holds resident records.
inline GalleryPlan plan_gallery(size_t records, size_t record_bytes, size_t budget_bytes) {
  if (records == 0 || record_bytes == 0) return {records, 0};
  const size_t fit = budget_bytes / record_bytes;
  if (fit >= records) return {records, 0};
  if (fit == 0) return {0, 0};
  const size_t stream = std::clamp<size_t>(fit / 4, 1, fit);
  const size_t resident = fit - stream;
  return {resident, std::min(stream, records - resident)};
}

// The device bytes a gallery's P may take: the usable memory, at most cap_bytes
// (EngineOptions::gallery_cap_bytes; 0 = no cap).
inline size_t gallery_budget_bytes(size_t usable_bytes, size_t cap_bytes) {
  return cap_bytes == 0 ? usable_bytes : std::min(usable_bytes, cap_bytes);
}

// Records per identification GEMM: the tile's Y (records × probes_in_block × n floats) and, for f16,
// its f32 copy of P fit in work_bytes (at least one record), and records·block decode blocks stay
// within the 2^31 − 1 grid limit.
inline size_t identify_tile_records(size_t segment_records, uint32_t n, size_t probe_block, bool expand_f16,
                                    size_t work_bytes = kGalleryWorkBytes / 2) {
  const size_t per_record = probe_block * n * sizeof(float) + (expand_f16 ? size_t(n) * n * sizeof(float) : 0);
  const size_t grid_cap = size_t(0x7fffffff) / std::max<size_t>(probe_block, 1);
  return std::max<size_t>(1, std::min({work_bytes / per_record, segment_records, grid_cap}));
}

}  // namespace spheremask::cuda
