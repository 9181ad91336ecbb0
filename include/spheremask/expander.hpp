// Template expander interface (DESIGN §3 "Template expander"): a public map from the template
// dimension m to the code dimension n, identified by the SHA-256 of its weights file.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

#include "spheremask/export.hpp"

namespace spheremask {

class SPHEREMASK_API Expander {
 public:
  virtual ~Expander() = default;
  virtual uint32_t input_dim() const = 0;
  virtual uint32_t output_dim() const = 0;
  // SHA-256 of the weights file; stored in every record made with this expander.
  virtual const std::array<uint8_t, 32>& id() const = 0;
  // in: count × m unit rows; out: count × n unit rows.
  virtual void forward(const float* in, size_t count, float* out) const = 0;
};

}  // namespace spheremask
