#include "cli/synthetic.hpp"

#include <cmath>
#include <numbers>

#include "spheremask/detail/gaussian.hpp"
#include "spheremask/error.hpp"

namespace spheremask::cli {

SyntheticPairs make_synthetic_pairs(const std::array<uint8_t, 32>& seed, size_t count, uint32_t dim, double angle_deg) {
  if (dim < 2) throw Error(ErrorCode::InvalidArgument, "synthetic templates need dimension >= 2");
  if (!(angle_deg >= 0 && angle_deg <= 180)) throw Error(ErrorCode::InvalidArgument, "angle must be within 0..180 degrees");
  uint32_t key[8];
  detail::key_words(seed.data(), key);
  SyntheticPairs out;
  out.enroll.resize(count * dim);
  out.probe.resize(count * dim);
  const double a = angle_deg * std::numbers::pi / 180.0;
  std::vector<float> z(dim);
  for (size_t i = 0; i < count; ++i) {
    float* e = out.enroll.data() + i * dim;
    // Row i uses stream elements [2·i·dim, 2·(i+1)·dim): its direction, then the probe's noise.
    detail::gaussian_range(key, 2 * uint64_t(i) * dim, dim, e);
    detail::gaussian_range(key, (2 * uint64_t(i) + 1) * dim, dim, z.data());
    double ee = 0;
    for (uint32_t j = 0; j < dim; ++j) ee += double(e[j]) * e[j];
    const double inv = 1.0 / std::sqrt(ee);
    for (uint32_t j = 0; j < dim; ++j) e[j] = float(e[j] * inv);
    // Gram-Schmidt in double: z ⟂ e, unit.
    double ze = 0;
    for (uint32_t j = 0; j < dim; ++j) ze += double(z[j]) * e[j];
    std::vector<double> zo(dim);
    double zz = 0;
    for (uint32_t j = 0; j < dim; ++j) { zo[j] = z[j] - ze * e[j]; zz += zo[j] * zo[j]; }
    const double zinv = 1.0 / std::sqrt(zz);
    float* p = out.probe.data() + i * dim;
    for (uint32_t j = 0; j < dim; ++j) p[j] = float(std::cos(a) * e[j] + std::sin(a) * zo[j] * zinv);
  }
  return out;
}

}  // namespace spheremask::cli
