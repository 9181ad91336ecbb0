#include "cpu/p_rows.hpp"

#include <cblas.h>

#include <cstring>

#include "spheremask/detail/half.hpp"

namespace spheremask::internal {
namespace {

// Lookup table for f16 → f32 (256 KiB), built once.
const float* half_table() {
  static const std::vector<float> table = [] {
    std::vector<float> t(65536);
    for (uint32_t h = 0; h < 65536; ++h) t[h] = detail::half_to_float(uint16_t(h));
    return t;
  }();
  return table.data();
}

void widen_halves(const uint8_t* bytes, size_t count, float* out) {
  const float* table = half_table();
  for (size_t i = 0; i < count; ++i) out[i] = table[uint16_t(bytes[2 * i] | (bytes[2 * i + 1] << 8))];
}

}  // namespace

const float* p_as_f32(const uint8_t* p, Dtype dtype, size_t count, std::vector<float>& scratch) {
  if (dtype == Dtype::F32) return reinterpret_cast<const float*>(p);
  scratch.resize(count);
  widen_halves(p, count, scratch.data());
  return scratch.data();
}

void p_rows_times(const uint8_t* bytes, size_t rows, uint32_t n, Dtype dtype, const float* t, float* y,
                  std::vector<float>& scratch) {
  if (rows == 0) return;
  const size_t count = rows * n;
  const float* p;
  if (dtype == Dtype::F16) {
    scratch.resize(count);
    widen_halves(bytes, count, scratch.data());
    p = scratch.data();
  } else if (reinterpret_cast<uintptr_t>(bytes) % alignof(float) != 0) {
    scratch.resize(count);
    std::memcpy(scratch.data(), bytes, count * sizeof(float));
    p = scratch.data();
  } else {
    p = reinterpret_cast<const float*>(bytes);
  }
  cblas_sgemv(CblasRowMajor, CblasNoTrans, int(rows), int(n), 1.0f, p, int(n), t, 1, 0.0f, y, 1);
}

}  // namespace spheremask::internal
