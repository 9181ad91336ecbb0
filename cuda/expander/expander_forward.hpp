// The template expander's forward on the GPU (DESIGN §3): cuBLAS SGEMMs for W_s and
// W0…W4 plus one fused activation / fold / normalize kernel per layer, in the CPU reference's order
// (host/expander/expander_net.cpp). The weights of the last expander used stay in device memory, keyed by its
// id; templates go through in chunks sized to the free memory. No CUDA types here.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "spheremask/expander.hpp"

namespace spheremask::cuda {

class DeviceContext;
struct DeviceExpanderWeights;

class ExpanderCache {
 public:
  ExpanderCache();
  ~ExpanderCache();  // frees the weights with their device current
  ExpanderCache(const ExpanderCache&) = delete;
  ExpanderCache& operator=(const ExpanderCache&) = delete;

  // in: count × m unit rows; out: count × n unit rows (host memory). A TemplateExpander runs on the
  // device of ctx (its weights uploaded on first use); any other Expander runs its own forward.
  void forward(DeviceContext& ctx, const Expander& e, const float* in, size_t count, float* out);

 private:
  // One slot: an engine uses one expander, and the weights of n = 16384 take about 17 GB.
  std::unique_ptr<DeviceExpanderWeights> weights_;
};

}  // namespace spheremask::cuda
