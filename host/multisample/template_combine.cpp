// Normalized means of groups of templates, with optional leave-one-out outlier rejection.
#include <cmath>
#include <limits>
#include <string>

#include "spheremask/error.hpp"
#include "spheremask/keys.hpp"
#include "spheremask/multi_sample.hpp"
#include "engine/template_prep.hpp"

namespace spheremask {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Angle in degrees between unit row u and the direction of s (s ≠ 0); 90° when s is zero (the other
// samples cancel out: no direction to agree with).
double angle_to(const float* u, const double* s, uint32_t dim) {
  double dot = 0, s2 = 0;
  for (uint32_t j = 0; j < dim; ++j) {
    dot += double(u[j]) * s[j];
    s2 += s[j] * s[j];
  }
  if (s2 == 0.0) return 90.0;
  const double c = std::max(-1.0, std::min(1.0, dot / std::sqrt(s2)));
  return std::acos(c) * 180.0 / kPi;
}

}  // namespace

CombinedTemplates combine_groups(const float* templates, uint32_t dim, std::span<const uint32_t> group_sizes,
                                 const CombineOptions& options) {
  if (dim == 0) throw Error(ErrorCode::InvalidArgument, "template dimension is 0");
  if (options.outlier_deg && !(*options.outlier_deg > 0.0 && *options.outlier_deg <= 180.0))
    throw Error(ErrorCode::InvalidArgument, "outlier angle must be in (0, 180] degrees");
  size_t rows = 0;
  for (size_t g = 0; g < group_sizes.size(); ++g) {
    if (group_sizes[g] == 0)
      throw Error(ErrorCode::InvalidArgument, "group " + std::to_string(g) + " has no samples (k = 0)");
    if (group_sizes[g] > std::numeric_limits<uint16_t>::max())
      throw Error(ErrorCode::InvalidArgument, "group " + std::to_string(g) + " has " + std::to_string(group_sizes[g]) +
                                                  " samples (at most 65535)");
    rows += group_sizes[g];
  }
  if (rows > 0 && templates == nullptr) throw Error(ErrorCode::InvalidArgument, "templates is null");

  // Every row is validated (and the error names it) before any is combined.
  std::vector<float> unit(templates, templates + rows * dim);
  internal::normalize_rows(unit.data(), rows, dim, 0);

  CombinedTemplates out;
  out.rows.resize(group_sizes.size() * dim);
  out.used.resize(group_sizes.size());
  out.dropped.resize(group_sizes.size());
  std::vector<double> sum(dim), others(dim);
  size_t first = 0;
  for (size_t g = 0; g < group_sizes.size(); ++g) {
    const size_t k = group_sizes[g];
    float* dst = out.rows.data() + g * dim;
    if (k == 1) {  // unchanged: enrolling it is enrolling the row itself, bit for bit
      std::copy(templates + first * dim, templates + (first + 1) * dim, dst);
      out.used[g] = 1;
      first += k;
      continue;
    }
    std::fill(sum.begin(), sum.end(), 0.0);
    for (size_t i = first; i < first + k; ++i)
      for (uint32_t j = 0; j < dim; ++j) sum[j] += unit[i * dim + j];
    std::vector<uint8_t> keep(k, 1);
    if (options.outlier_deg && k >= 3) {
      for (size_t i = 0; i < k; ++i) {
        const float* u = unit.data() + (first + i) * dim;
        for (uint32_t j = 0; j < dim; ++j) others[j] = sum[j] - u[j];
        if (angle_to(u, others.data(), dim) > *options.outlier_deg) keep[i] = 0;
      }
      std::fill(sum.begin(), sum.end(), 0.0);  // re-average the kept samples, in row order
      for (size_t i = 0; i < k; ++i) {
        if (!keep[i]) {
          out.dropped[g].push_back(first + i);
          continue;
        }
        for (uint32_t j = 0; j < dim; ++j) sum[j] += unit[(first + i) * dim + j];
      }
      if (out.dropped[g].size() == k)
        throw Error(ErrorCode::InvalidArgument, "group " + std::to_string(g) + ": every sample is further than " +
                                                    std::to_string(*options.outlier_deg) +
                                                    " degrees from the mean of the others (they do not agree)");
    }
    out.used[g] = uint16_t(k - out.dropped[g].size());
    double norm2 = 0;
    for (uint32_t j = 0; j < dim; ++j) norm2 += sum[j] * sum[j];
    if (norm2 == 0.0)  // antipodal samples: no mean direction
      throw Error(ErrorCode::InvalidArgument, "group " + std::to_string(g) + ": the samples' mean is the zero vector");
    const double inv = 1.0 / std::sqrt(norm2);
    for (uint32_t j = 0; j < dim; ++j) dst[j] = float(sum[j] * inv);
    first += k;
  }
  secure_zero(unit.data(), unit.size() * sizeof(float));
  secure_zero(sum.data(), sum.size() * sizeof(double));
  secure_zero(others.data(), others.size() * sizeof(double));
  return out;
}

}  // namespace spheremask
