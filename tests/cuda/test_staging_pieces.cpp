// CPU checks of how the staging ring packs records into pinned slots (cuda/core/piece_copy.hpp): every byte
// of every record crosses exactly once and lands where it belongs, whatever the record and slot sizes
// and however many threads copy. A wrong offset here would corrupt P on its way to or from the GPU.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "cuda/core/piece_copy.hpp"

namespace spheremask {
namespace {

// Gathers `records` through slots of `slot` bytes into one contiguous array (as the upload does), then
// scatters that array back through the same slots into fresh records (as the download does).
void round_trip(size_t records, size_t each, size_t slot, size_t min_per_thread) {
  std::mt19937 rng(uint32_t(records * 131 + each * 7 + slot));
  std::vector<std::vector<uint8_t>> src(records, std::vector<uint8_t>(each));
  for (auto& r : src)
    for (auto& b : r) b = uint8_t(rng());
  std::vector<const void*> src_ptrs;
  for (auto& r : src) src_ptrs.push_back(r.data());

  const size_t total = records * each;
  std::vector<uint8_t> device(total, 0), pinned(slot);
  for (size_t first = 0; first < total; first += slot) {
    const size_t len = std::min(slot, total - first);
    std::fill(pinned.begin(), pinned.end(), 0xEE);
    cuda::copy_pieces(each, first, len, [&](size_t part, size_t off, size_t at, size_t n) {
      ASSERT_LE(at + n, len);
      std::memcpy(pinned.data() + at, static_cast<const uint8_t*>(src_ptrs[part]) + off, n);
    }, min_per_thread);
    std::memcpy(device.data() + first, pinned.data(), len);
  }
  for (size_t r = 0; r < records; ++r)
    ASSERT_EQ(0, std::memcmp(device.data() + r * each, src[r].data(), each)) << "record " << r << " gathered wrong";

  std::vector<std::vector<uint8_t>> back(records, std::vector<uint8_t>(each, 0));
  std::vector<void*> back_ptrs;
  for (auto& r : back) back_ptrs.push_back(r.data());
  for (size_t first = 0; first < total; first += slot) {
    const size_t len = std::min(slot, total - first);
    std::memcpy(pinned.data(), device.data() + first, len);
    cuda::copy_pieces(each, first, len, [&](size_t part, size_t off, size_t at, size_t n) {
      std::memcpy(static_cast<uint8_t*>(back_ptrs[part]) + off, pinned.data() + at, n);
    }, min_per_thread);
  }
  for (size_t r = 0; r < records; ++r) ASSERT_EQ(back[r], src[r]) << "record " << r << " scattered wrong";
}

TEST(StagingPieces, RecordsSmallerThanASlotShareIt) { round_trip(37, 1000, 4096, 512); }
TEST(StagingPieces, RecordsLargerThanASlotSpanSeveral) { round_trip(5, 10000, 4096, 512); }
TEST(StagingPieces, SlotNotAMultipleOfTheRecord) { round_trip(64, 3 * 1024, 5000, 700); }
TEST(StagingPieces, OneThreadAndManyThreadsAgree) {
  round_trip(16, 2048, 8192, size_t(1) << 30);  // one thread
  round_trip(16, 2048, 8192, 64);               // up to 8 threads, uneven slices
}
TEST(StagingPieces, EveryByteCoveredOnce) {
  std::vector<int> seen(10007, 0);
  cuda::copy_pieces(97, 3, 10000, [&](size_t part, size_t off, size_t at, size_t n) {
    for (size_t k = 0; k < n; ++k) {
      EXPECT_EQ(part * 97 + off + k, 3 + at + k);
      ++seen[at + k];
    }
  }, 100);
  for (size_t i = 0; i < 10000; ++i) ASSERT_EQ(seen[i], 1) << "byte " << i;
}

}  // namespace
}  // namespace spheremask
