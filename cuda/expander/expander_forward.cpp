#include "cuda/expander/expander_forward.hpp"

#include <cublas_v2.h>

#include <algorithm>
#include <array>
#include <utility>

#include "cuda/core/cuda_check.hpp"
#include "cuda/core/cuda_raii.hpp"
#include "cuda/core/device_context.hpp"
#include "cuda/expander/cublas_gemm.hpp"
#include "cuda/expander/expander_kernels.hpp"
#include "expander/expander_net.hpp"
#include "cuda/core/launch_shapes.hpp"
#include "spheremask/error.hpp"
#include "expander/template_expander.hpp"

namespace spheremask::cuda {

// Public weights (not secret), uploaded once; shapes, activations and folds from te_layers, the CPU's
// own description of the architecture.
struct DeviceExpanderWeights {
  int device = 0;
  std::array<uint8_t, 32> id{};
  uint32_t m = 0, n = 0;
  DeviceBuffer<float> ws;
  std::array<DeviceBuffer<float>, internal::kTeLayers> w;
  std::array<internal::TeLayer, internal::kTeLayers> layers{};  // w points into device memory
};

namespace {

constexpr size_t kMaxChunk = 4096;  // rows per pass; also the activation kernel's grid size
static_assert(kMaxChunk <= 65535, "rows per pass are used as a grid dimension");

DeviceBuffer<float> upload_matrix(const float* host, size_t count, cudaStream_t stream) {
  DeviceBuffer<float> d(count, Secret::No);
  upload(d.get(), host, count, stream);
  return d;
}

std::unique_ptr<DeviceExpanderWeights> upload_weights(const DeviceContext& ctx, const ExpanderWeights& host,
                                                      const std::array<uint8_t, 32>& id) {
  const PlainAllocations long_lived;  // the weights stay until another expander replaces them
  auto d = std::make_unique<DeviceExpanderWeights>();
  d->device = ctx.device();
  d->id = id;
  d->m = host.m;
  d->n = host.n;
  d->ws = upload_matrix(host.ws.data(), size_t(2) * host.n * host.m, ctx.stream());
  d->layers = internal::te_layers(host);
  for (int l = 0; l < internal::kTeLayers; ++l) {
    internal::TeLayer& layer = d->layers[l];
    d->w[l] = upload_matrix(layer.w, size_t(layer.rows) * layer.cols, ctx.stream());
    layer.w = d->w[l].get();
  }
  ctx.synchronize();
  return d;
}

// One chunk: t (count × m, device) -> the returned buffer of x or z, count × n unit rows.
const float* forward_chunk(const DeviceContext& ctx, const DeviceExpanderWeights& d, const float* t, size_t count,
                           float* x, float* z) {
  // Row-major X (count × 2n) = T · W_sᵀ, then Z = X · W_lᵀ per layer (train_gemms.hpp: gemm_forward).
  cublas_gemm(ctx.blas(), internal::gemm_forward(2 * d.n, d.m, count), 1.0f, d.ws.get(), t, x);
  for (const internal::TeLayer& layer : d.layers) {
    cublas_gemm(ctx.blas(), internal::gemm_forward(layer.rows, layer.cols, count), 1.0f, layer.w, x, z);
    launch_expander_activate(count, layer.rows, layer.act, layer.fold, z, ctx.stream());
    std::swap(x, z);
  }
  return x;
}

}  // namespace

ExpanderCache::ExpanderCache() = default;

ExpanderCache::~ExpanderCache() {
  if (!weights_) return;
  DeviceGuard guard(weights_->device, std::nothrow);  // the caller's current device is left as it was
  weights_.reset();
}

void ExpanderCache::forward(DeviceContext& ctx, const Expander& e, const float* in, size_t count, float* out) {
  const auto* te = dynamic_cast<const internal::TemplateExpander*>(&e);
  if (te == nullptr) return e.forward(in, count, out);
  if (count == 0) return;
  if (in == nullptr || out == nullptr) throw Error(ErrorCode::InvalidArgument, "expander forward: null buffer");
  ContextScope scope(ctx);
  if (!weights_ || weights_->id != e.id()) {
    weights_.reset();  // free the previous expander before the next one takes its place
    weights_ = upload_weights(ctx, te->weights(), e.id());
  }
  const DeviceExpanderWeights& d = *weights_;
  const size_t m = d.m, wide = size_t(2) * d.n;
  const size_t per_row = (m + 2 * wide) * sizeof(float);
  const size_t rows = items_per_chunk(free_device_bytes(), kDeviceSlackBytes, per_row, count, kMaxChunk);
  if (rows == 0) throw out_of_device_memory("expander forward", d.n);
  // Templates are biometric data: Secret::Yes wipes the device copies.
  DeviceBuffer<float> d_t(rows * m, Secret::Yes), d_x(rows * wide, Secret::Yes), d_z(rows * wide, Secret::Yes);
  for (size_t start = 0; start < count; start += rows) {
    const size_t bs = std::min(rows, count - start);
    upload_secret(ctx, d_t.get(), in + start * m, bs * m);
    const float* y = forward_chunk(ctx, d, d_t.get(), bs, d_x.get(), d_z.get());
    download_secret(ctx, out + start * d.n, y, bs * d.n);  // synchronous: the next chunk reuses the buffers
  }
}

}  // namespace spheremask::cuda
