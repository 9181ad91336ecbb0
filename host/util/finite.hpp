// Where a float array first holds NaN or ±Inf: the callers name that row and column in their errors.
#pragma once
#include <cstddef>

#include "spheremask/detail/bytes.hpp"

namespace spheremask::internal {

// Index of the first non-finite value of p[0..n), or n when all are finite.
inline size_t first_non_finite(const float* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!detail::finite_float(p[i])) return i;
  return n;
}

}  // namespace spheremask::internal
