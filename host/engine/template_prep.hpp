// Template preparation shared by every engine call: validation (finite, nonzero, named row),
// normalization, expansion to the code dimension, application binding.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "spheremask/params.hpp"

namespace spheremask::internal {

class BackendImpl;

// count × m rows -> count × n unit rows, the expander running on `backend`. Errors name the row as
// first_row + i. threads: CPU threads for the per-row work of large batches.
std::vector<float> prepare_templates(BackendImpl& backend, const Params& params,
                                     const std::vector<float>& app_transform, const float* templates, size_t count,
                                     size_t first_row, int threads = 1);

// Normalizes rows in place (on up to `threads` threads when the batch is large); throws
// Error{InvalidArgument} naming first_row + i for the first non-finite or zero row.
void normalize_rows(float* rows, size_t count, uint32_t dim, size_t first_row, int threads = 1);

// SHA-256("spheremask/v1/app-id" ‖ app_key)
std::array<uint8_t, 32> app_id(const std::array<uint8_t, 32>& app_key);
// S_app = Haar(n) keyed by HKDF(app_key, "spheremask/v1/app"), row-major.
std::vector<float> app_transform(BackendImpl& backend, const std::array<uint8_t, 32>& app_key, uint32_t n);

}  // namespace spheremask::internal
