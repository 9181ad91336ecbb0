// The template expander network of DESIGN §3 on the CPU: the body passes of train_step.hpp over the CPU
// ops (OpenBLAS GEMMs plus the fused activation / fold / normalize loops of cpu_ops.hpp).
//   x = W_s t;  x = N(fold(GELU(W0 x)));  x = N(fold(GELU(W1 x)));  x = N(ReLU(W2 x));
//   x = N(fold(GELU(W3 x)));  y = N(W4 x)   (the final N is the expander's unit-output contract).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "spheremask/detail/te_math.hpp"
#include "spheremask/expander_file.hpp"

namespace spheremask::internal {

using TeAct = detail::TeAct;

struct TeLayer {
  const float* w;       // rows × cols, row-major
  uint32_t rows, cols;  // output, input dimension
  TeAct act;
  bool fold;
};

constexpr int kTeLayers = 5;
std::array<TeLayer, kTeLayers> te_layers(const ExpanderWeights& w);

// Row-wise: x (count × 2n) = t (count × m) · W_sᵀ.
void te_project(const ExpanderWeights& w, const float* t, size_t count, float* x);

// What backward needs from forward: the input of each layer (x[kTeLayers] = final output),
// each pre-activation z and each row norm before normalization.
struct TeCache {
  std::array<std::vector<float>, kTeLayers + 1> x;
  std::array<std::vector<float>, kTeLayers> z;
  std::array<std::vector<float>, kTeLayers> norm;
};

// Body forward from 2n-dimensional rows to unit n-dimensional rows. With cache, out may be null
// (cache->x[kTeLayers] holds the result).
void te_body_forward(const ExpanderWeights& w, const float* x, size_t count, float* out, TeCache* cache);

// Gradients of the body weights W0..W4 (same shapes) given dL/d(output) for the cached batch.
// grads[l] is overwritten. dx (count × 2n, optional) receives dL/d(input).
void te_body_backward(const ExpanderWeights& w, const TeCache& cache, size_t count, const float* dout,
                      std::array<std::vector<float>, kTeLayers>& grads, float* dx = nullptr);

// Full map t (count × m, unit) -> out (count × n, unit), in batches.
void te_forward(const ExpanderWeights& w, const float* t, size_t count, float* out);

}  // namespace spheremask::internal
