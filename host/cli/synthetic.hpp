// Reproducible synthetic templates (non-secret): unit rows from the ChaCha20 Gaussian stream of a
// seed, and probes at an exact angle from them with an otherwise uniform direction.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace spheremask::cli {

struct SyntheticPairs {
  std::vector<float> enroll;  // count × dim, unit rows
  std::vector<float> probe;   // count × dim, row i at exactly angle_deg from enroll row i
};

SyntheticPairs make_synthetic_pairs(const std::array<uint8_t, 32>& seed, size_t count, uint32_t dim, double angle_deg);

}  // namespace spheremask::cli
