// Launchers of the GPU trainer's elementwise and per-row kernels (expander_train_kernels.cu); the GEMMs
// are cuBLAS calls (expander_trainer.cpp). The per-element math is spheremask/detail/te_math.hpp, the
// same functions the CPU ops (host/expander/cpu_ops.cpp) run serially. All are enqueued
// on `stream` and do not synchronize.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "expander/expander_net.hpp"
#include "spheremask/detail/te_math.hpp"

namespace spheremask::cuda {

// Forward of one layer keeping its cache: row r of y (count × len) = N(fold(act(z_r))) and
// norm[r] = ‖fold(act(z_r))‖ (a zero row stays zero); z is left unchanged. CpuTeOps::activate of the CPU.
void launch_train_activate(size_t count, uint32_t len, internal::TeAct act, bool fold, const float* z, float* y,
                           float* norm, cudaStream_t stream);

// Weighted Gram differences (gram_entry for every (i, j)): the full symmetric s (count × count) and
// partial[i] = Σ_j wt·diff² in double (the loss is Σ_i partial[i], summed on the host in order).
void launch_gram_weights(size_t count, const detail::GramArgs& g, const float* gin, const float* gout, float* s,
                         double* partial, cudaStream_t stream);

// Backward of one layer through normalize, fold and activation (backward_element for every element):
// dz (count × len) from dy = dL/dy, the layer's output y, its norms and its pre-activations z.
void launch_layer_backward(size_t count, uint32_t len, internal::TeAct act, bool fold, const float* dy,
                           const float* y, const float* norm, const float* z, float* dz, cudaStream_t stream);

// adam_element on count parameters.
void launch_adam_update(size_t count, const detail::AdamStep& a, const float* g, float* m, float* v, float* p,
                        cudaStream_t stream);

// Sets *flag = 1 when any of p[0, count) is NaN or infinite; never clears it.
void launch_flag_nonfinite(size_t count, const float* p, int* flag, cudaStream_t stream);

}  // namespace spheremask::cuda
