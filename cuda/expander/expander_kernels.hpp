// Launcher of the template expander's fused per-layer kernel (expander_kernels.cu).
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "expander/expander_net.hpp"

namespace spheremask::cuda {

// Rows z + r·len for r < count, in place: activation, then fold (x[0:h] += x[h:2h], h = len/2, the
// second half kept) when `fold`, then division by the row's norm (a zero row stays zero) — exactly
// CpuTeOps::activate of host/expander/cpu_ops.cpp. Enqueued on stream; does not synchronize.
void launch_expander_activate(size_t count, uint32_t len, internal::TeAct act, bool fold, float* z,
                              cudaStream_t stream);

}  // namespace spheremask::cuda
