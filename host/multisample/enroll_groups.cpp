// Engine::enroll_groups: one record per group of samples of one identity, from their normalized mean.
#include "spheremask/engine.hpp"
#include "spheremask/error.hpp"

namespace spheremask {

GroupEnrollment Engine::enroll_groups(const float* templates, std::span<const uint32_t> group_sizes,
                                      const EnrollOptions& options, const CombineOptions& combine) {
  CombinedTemplates combined = combine_groups(templates, params_.m, group_sizes, combine);
  GroupEnrollment out;
  try {
    // enroll's index i is group i: deterministic mode gives group g the index first_index + g. The
    // sample counts go in before the MAC is computed (the v2 header they sit in is authenticated).
    EnrollOptions with_counts = options;
    with_counts.samples = combined.used;
    out.records = enroll(combined.rows.data(), group_sizes.size(), with_counts);
  } catch (...) {
    secure_zero(combined.rows.data(), combined.rows.size() * sizeof(float));
    throw;
  }
  secure_zero(combined.rows.data(), combined.rows.size() * sizeof(float));
  out.dropped = std::move(combined.dropped);
  return out;
}

}  // namespace spheremask
