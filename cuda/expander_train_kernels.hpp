// Launchers of the GPU trainer's elementwise and per-row kernels (expander_train_kernels.cu); the GEMMs
// are cuBLAS calls in expander_trainer.cpp. Each mirrors a loop of host/expander_net.cpp or
// host/expander_train.cpp. All are enqueued on `stream` and do not synchronize.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "expander_net.hpp"

namespace spheremask::cuda {

// Forward of one layer keeping its cache: row r of y (count × len) = N(fold(act(z_r))) and
// norm[r] = ‖fold(act(z_r))‖ (a zero row stays zero); z is left unchanged. activate_row of the CPU.
void launch_train_activate(size_t count, uint32_t len, internal::TeAct act, bool fold, const float* z, float* y,
                           float* norm, cudaStream_t stream);

// Weighted Gram differences: gin and gout hold the upper triangles of the input and output Gram
// matrices (count × count, column-major: (i, j), i ≤ j, at [i + j·count]). Writes the full symmetric
// s(i, j) = float(wt·diff), diff = gout − gin, wt = all + (pairs, i ≠ j, i/group = j/group ? within : 0),
// and partial[i] = Σ_j wt·diff² in double (the loss is Σ_i partial[i], summed on the host in order).
void launch_gram_weights(size_t count, double all, double within, bool pairs, uint32_t group, const float* gin,
                         const float* gout, float* s, double* partial, cudaStream_t stream);

// Backward of one layer through normalize, fold and activation: for each row, with dy = dL/dy,
// g = (dy − y (y·dy)) / norm, then g[h + j] += g[j] for j < h when fold, then dz = g ∘ act'(z).
void launch_layer_backward(size_t count, uint32_t len, internal::TeAct act, bool fold, const float* dy,
                           const float* y, const float* norm, const float* z, float* dz, cudaStream_t stream);

// One Adam step on count parameters, in the CPU's float expression order:
//   m = b1·m + (1−b1)·g;  v = b2·v + (1−b2)·g·g;  p −= lr·(m·c1) / (√(v·c2) + eps).
struct AdamStep {
  float lr, b1, one_minus_b1, b2, one_minus_b2, eps, c1, c2;
};
void launch_adam_update(size_t count, const AdamStep& a, const float* g, float* m, float* v, float* p,
                        cudaStream_t stream);

// Sets *flag = 1 when any of p[0, count) is NaN or infinite; never clears it.
void launch_flag_nonfinite(size_t count, const float* p, int* flag, cudaStream_t stream);

}  // namespace spheremask::cuda
