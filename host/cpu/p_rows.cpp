#include "cpu/p_rows.hpp"

#include <cblas.h>

#include <cstring>

#include "spheremask/detail/half.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SPHEREMASK_F16C 1
#include <cpuid.h>
#include <immintrin.h>
#endif

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

void widen_halves_table(const uint8_t* bytes, size_t count, float* out) {
  const float* table = half_table();
  for (size_t i = 0; i < count; ++i) out[i] = table[uint16_t(bytes[2 * i] | (bytes[2 * i + 1] << 8))];
}

#ifdef SPHEREMASK_F16C
// vcvtph2ps widens eight halves per instruction, exactly (every f16 value is an f32 value); the table
// costs a dependent load per entry and, at 256 KiB, evicts the P it widens from L2.
__attribute__((target("avx,f16c"))) void widen_halves_f16c(const uint8_t* bytes, size_t count, float* out) {
  size_t i = 0;
  for (; i + 8 <= count; i += 8)
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + 2 * i))));
  if (i < count) widen_halves_table(bytes + 2 * i, count - i, out + i);
}

bool cpu_has_f16c() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  return __builtin_cpu_supports("avx") && (c & (1u << 29)) != 0;
}
#endif

void widen_halves(const uint8_t* bytes, size_t count, float* out) {
#ifdef SPHEREMASK_F16C
  static const bool f16c = cpu_has_f16c();
  if (f16c) return widen_halves_f16c(bytes, count, out);
#endif
  widen_halves_table(bytes, count, out);
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
