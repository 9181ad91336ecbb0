// Measuring a template expander: angle distortion on seeded template pairs and the
// relative residual of the best affine fit (how far the map is from linear).
#pragma once
#include <cstdint>
#include <vector>

#include "spheremask/expander.hpp"
#include "spheremask/export.hpp"

namespace spheremask {

struct DistortionRow {
  double input_deg = 0;
  double mean_output_deg = 0;
  double mean_abs_error_deg = 0;
  double p99_abs_error_deg = 0;
};

struct InspectOptions {
  uint64_t seed = 1;
  size_t pairs_per_angle = 1000;
  size_t residual_samples = 0;  // 0 = max(4096, 16·(m+1))
  std::vector<double> angles_deg = {20, 40, 50, 60, 75, 90};
};

struct ExpanderReport {
  uint32_t m = 0, n = 0;
  double linear_residual = 0;  // ‖Y − (A·T + b)‖_F / ‖Y‖_F, Y = unit outputs, least-squares A, b
  std::vector<DistortionRow> distortion;
};

// Output angles of random unit template pairs at each input angle (seeded, not secret).
SPHEREMASK_API std::vector<DistortionRow> measure_distortion(const Expander& e, const InspectOptions& o);
SPHEREMASK_API double measure_linear_residual(const Expander& e, const InspectOptions& o);
SPHEREMASK_API ExpanderReport inspect_expander(const Expander& e, const InspectOptions& o = {});

}  // namespace spheremask
