#include <algorithm>

#include "block_reduce.cuh"
#include "cuda_check.hpp"
#include "expander_math.cuh"
#include "expander_train_kernels.hpp"

namespace spheremask::cuda {
namespace {

constexpr unsigned kRowThreads = 256;   // per-row kernels: one block per row
constexpr unsigned kFlatThreads = 256;  // elementwise kernels: grid-stride loops
constexpr size_t kMaxFlatBlocks = 8192;

unsigned flat_blocks(size_t count) {
  return unsigned(std::min(kMaxFlatBlocks, (count + kFlatThreads - 1) / kFlatThreads));
}

// As expander_activate_kernel (expander_kernels.cu) but out of place, keeping z and the norm. With
// fold, the thread that owns j < h also writes h + j; an odd row's last element (2h) is alone.
__global__ void train_activate_kernel(uint32_t len, internal::TeAct act, bool fold, const float* z, float* y,
                                      float* norm) {
  const size_t off = size_t(blockIdx.x) * len;
  const float* zr = z + off;
  float* yr = y + off;
  const uint32_t h = fold ? len / 2 : 0;
  double norm2 = 0;
  for (uint32_t j = threadIdx.x; j < len; j += blockDim.x) {
    if (j < h) {
      const float lo = te_apply(act, zr[j]), hi = te_apply(act, zr[h + j]);
      const float sum = lo + hi;
      yr[j] = sum;
      yr[h + j] = hi;
      norm2 += double(sum) * sum + double(hi) * hi;
    } else if (j >= 2 * h) {
      const float v = te_apply(act, zr[j]);
      yr[j] = v;
      norm2 += double(v) * v;
    }
  }
  norm2 = block_sum(norm2);  // its barrier also makes the writes above visible to the block
  const float nrm = float(sqrt(norm2));
  const float inv = nrm > 0 ? 1.0f / nrm : 0.0f;
  for (uint32_t j = threadIdx.x; j < len; j += blockDim.x) yr[j] *= inv;
  if (threadIdx.x == 0) norm[blockIdx.x] = nrm;
}

// One block per row i of the Gram matrices.
__global__ void gram_weights_kernel(uint32_t count, double all, double within, bool pairs, uint32_t group,
                                    const float* gin, const float* gout, float* s, double* partial) {
  const uint32_t i = blockIdx.x;
  double acc = 0;
  for (uint32_t j = threadIdx.x; j < count; j += blockDim.x) {
    const size_t at = size_t(min(i, j)) + size_t(max(i, j)) * count;  // upper triangle, column-major
    const double diff = double(gout[at]) - double(gin[at]);
    double wt = all;
    if (pairs && j != i && i / group == j / group) wt += within;
    s[size_t(i) * count + j] = float(wt * diff);
    acc += wt * diff * diff;
  }
  acc = block_sum(acc);
  if (threadIdx.x == 0) partial[i] = acc;
}

// One block per row. Each dz[j] is computed from the unfolded gradients of j and (fold, h ≤ j < 2h)
// j − h, so dy is only read and dz only written: no in-place hazard.
__global__ void layer_backward_kernel(uint32_t len, internal::TeAct act, bool fold, const float* dy, const float* y,
                                      const float* norm, const float* z, float* dz) {
  const size_t off = size_t(blockIdx.x) * len;
  dy += off;
  y += off;
  z += off;
  dz += off;
  double dot = 0;
  for (uint32_t j = threadIdx.x; j < len; j += blockDim.x) dot += double(y[j]) * dy[j];
  const float d = float(block_sum(dot));
  const float nrm = norm[blockIdx.x];
  const float inv = nrm > 0 ? 1.0f / nrm : 0.0f;
  const uint32_t h = fold ? len / 2 : 0;
  for (uint32_t j = threadIdx.x; j < len; j += blockDim.x) {
    float g = (dy[j] - y[j] * d) * inv;
    if (j >= h && j < 2 * h) g += (dy[j - h] - y[j - h] * d) * inv;  // a[h+j] fed both f[j] and f[h+j]
    dz[j] = g * te_act_grad(act, z[j]);
  }
}

__global__ void adam_kernel(size_t count, AdamStep a, const float* g, float* m, float* v, float* p) {
  for (size_t k = size_t(blockIdx.x) * blockDim.x + threadIdx.x; k < count; k += size_t(gridDim.x) * blockDim.x) {
    const float gk = g[k];
    const float mk = a.b1 * m[k] + a.one_minus_b1 * gk;
    const float vk = a.b2 * v[k] + a.one_minus_b2 * gk * gk;
    m[k] = mk;
    v[k] = vk;
    p[k] -= a.lr * (mk * a.c1) / (sqrtf(vk * a.c2) + a.eps);
  }
}

__global__ void nonfinite_kernel(size_t count, const float* p, int* flag) {
  for (size_t k = size_t(blockIdx.x) * blockDim.x + threadIdx.x; k < count; k += size_t(gridDim.x) * blockDim.x)
    if (!isfinite(p[k])) *flag = 1;  // every writer writes the same value
}

}  // namespace

void launch_train_activate(size_t count, uint32_t len, internal::TeAct act, bool fold, const float* z, float* y,
                           float* norm, cudaStream_t stream) {
  if (count == 0) return;
  train_activate_kernel<<<unsigned(count), kRowThreads, 0, stream>>>(len, act, fold, z, y, norm);
  SM_CUDA_CHECK_LAUNCH("train_activate_kernel");
}

void launch_gram_weights(size_t count, double all, double within, bool pairs, uint32_t group, const float* gin,
                         const float* gout, float* s, double* partial, cudaStream_t stream) {
  if (count == 0) return;
  gram_weights_kernel<<<unsigned(count), kRowThreads, 0, stream>>>(uint32_t(count), all, within, pairs, group, gin,
                                                                   gout, s, partial);
  SM_CUDA_CHECK_LAUNCH("gram_weights_kernel");
}

void launch_layer_backward(size_t count, uint32_t len, internal::TeAct act, bool fold, const float* dy,
                           const float* y, const float* norm, const float* z, float* dz, cudaStream_t stream) {
  if (count == 0) return;
  layer_backward_kernel<<<unsigned(count), kRowThreads, 0, stream>>>(len, act, fold, dy, y, norm, z, dz);
  SM_CUDA_CHECK_LAUNCH("layer_backward_kernel");
}

void launch_adam_update(size_t count, const AdamStep& a, const float* g, float* m, float* v, float* p,
                        cudaStream_t stream) {
  if (count == 0) return;
  adam_kernel<<<flat_blocks(count), kFlatThreads, 0, stream>>>(count, a, g, m, v, p);
  SM_CUDA_CHECK_LAUNCH("adam_kernel");
}

void launch_flag_nonfinite(size_t count, const float* p, int* flag, cudaStream_t stream) {
  if (count == 0) return;
  nonfinite_kernel<<<flat_blocks(count), kFlatThreads, 0, stream>>>(count, p, flag);
  SM_CUDA_CHECK_LAUNCH("nonfinite_kernel");
}

}  // namespace spheremask::cuda
