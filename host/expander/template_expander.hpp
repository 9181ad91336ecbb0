// The concrete template expander: validated SMTE weights plus a batched CPU forward (OpenBLAS).
#pragma once
#include <array>
#include <cstdint>

#include "spheremask/expander.hpp"
#include "spheremask/expander_file.hpp"

namespace spheremask::internal {

class TemplateExpander final : public Expander {
 public:
  TemplateExpander(ExpanderWeights weights, const std::array<uint8_t, 32>& id)
      : weights_(std::move(weights)), id_(id) {}
  uint32_t input_dim() const override { return weights_.m; }
  uint32_t output_dim() const override { return weights_.n; }
  const std::array<uint8_t, 32>& id() const override { return id_; }
  void forward(const float* in, size_t count, float* out) const override;
  const ExpanderWeights& weights() const { return weights_; }

 private:
  ExpanderWeights weights_;
  std::array<uint8_t, 32> id_;
};

}  // namespace spheremask::internal
