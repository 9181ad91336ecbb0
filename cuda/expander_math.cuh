// Per-element math of the template expander on the device, the same formulas as host/expander_net.cpp:
// the activations (GELU in its exact erf form z·Φ(z)) and their derivatives.
#pragma once
#include <cuda_runtime.h>

#include "expander_net.hpp"

namespace spheremask::cuda {

__device__ inline float te_apply(internal::TeAct act, float v) {
  if (act == internal::TeAct::Gelu) return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
  if (act == internal::TeAct::Relu) return fmaxf(v, 0.0f);
  return v;
}

// d act / dz: GELU'(z) = Φ(z) + z·φ(z); ReLU'(z) = [z > 0]; identity 1.
__device__ inline float te_act_grad(internal::TeAct act, float z) {
  if (act == internal::TeAct::Gelu) {
    const float cdf = 0.5f * (1.0f + erff(z * 0.70710678118654752f));
    const float pdf = 0.39894228040143268f * expf(-0.5f * z * z);
    return cdf + z * pdf;
  }
  if (act == internal::TeAct::Relu) return z > 0 ? 1.0f : 0.0f;
  return 1.0f;
}

}  // namespace spheremask::cuda
