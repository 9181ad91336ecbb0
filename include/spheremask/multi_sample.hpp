// Multi-sample enrollment and multi-frame probes (DESIGN §3 "Multi-sample enrollment"): k unit templates
// of one identity become one template, the normalized mean of its samples. This moves the genuine angle
// distribution, not the code: the code bits are those of C(n, α) whatever k is.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "spheremask/export.hpp"
#include "spheremask/record.hpp"

namespace spheremask {

struct CombineOptions {
  // Outlier rejection: a sample further than this angle (degrees, in (0, 180]) from the normalized mean
  // of the other samples of its group is dropped, and the group re-averaged from the rest. Every sample
  // is judged against the same leave-one-out means (one pass). Applies to groups of 3 or more samples:
  // of two samples far apart neither can be called the outlier, so both are kept. A group whose samples
  // are all dropped is an error (they do not agree on anyone). Unset: every sample is used.
  std::optional<double> outlier_deg;
};

// Groups of consecutive rows combined into one unit row each.
struct CombinedTemplates {
  std::vector<float> rows;                   // groups × dim
  std::vector<uint16_t> used;                // samples averaged in group g (its size minus the dropped)
  std::vector<std::vector<size_t>> dropped;  // group g: the input rows dropped as outliers, ascending
};

// templates: sum(group_sizes) × dim float32, row-major; group g is the next group_sizes[g] rows. Each row
// is validated (finite, nonzero; the error names the row) and normalized; a group's row is the mean of its
// unit rows (accumulated in double), renormalized. A group of one row is copied unchanged, so enrolling it
// is bit for bit enrolling the row itself. Throws Error{InvalidArgument} for an empty group (k = 0), a
// group over 65535 samples (the record's count is 16 bits), a bad outlier angle, or a group that
// outlier rejection empties.
SPHEREMASK_API CombinedTemplates combine_groups(const float* templates, uint32_t dim,
                                                std::span<const uint32_t> group_sizes,
                                                const CombineOptions& options = {});

// How the frames of one probe (consecutive rows) make one claim.
enum class FrameRule : uint8_t {
  Mean = 0,   // the normalized mean of the frames is the probe (default)
  AnyOf = 1,  // each frame is tried; the claim is accepted when any frame is. This multiplies the false
              // accept rate by about k (k impostor attempts per claim): budget FAR accordingly.
};

struct FrameOptions {
  uint32_t per_probe = 1;  // k ≥ 1 frames per probe
  FrameRule rule = FrameRule::Mean;
};

// Records enrolled from groups, with the rows outlier rejection dropped (per group, ascending).
struct GroupEnrollment {
  std::vector<Record> records;
  std::vector<std::vector<size_t>> dropped;
};

}  // namespace spheremask
