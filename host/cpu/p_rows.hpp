// Reading P on the CPU: the whole matrix as f32 (verification, identification) and products of a run of
// its rows with a probe (verification that streams P from a serialized record while hashing it).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "spheremask/params.hpp"

namespace spheremask::internal {

// Row-major P of dtype (count elements) as f32: the bytes themselves for f32, else widened into scratch.
const float* p_as_f32(const uint8_t* p, Dtype dtype, size_t count, std::vector<float>& scratch);

// y[r] = row r · t for `rows` consecutive rows of P (dtype, n columns, little-endian) starting at `bytes`,
// which need no alignment (a row that is not aligned for f32 is read through scratch).
void p_rows_times(const uint8_t* bytes, size_t rows, uint32_t n, Dtype dtype, const float* t, float* y,
                  std::vector<float>& scratch);

}  // namespace spheremask::internal
