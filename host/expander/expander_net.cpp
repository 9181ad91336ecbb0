#include "expander/expander_net.hpp"

#include <algorithm>

#include "expander/cpu_ops.hpp"
#include "expander/train_step.hpp"

namespace spheremask::internal {
namespace {

constexpr size_t kForwardBatch = 256;

TeBodyWeights body_weights(const std::array<TeLayer, kTeLayers>& layers) {
  TeBodyWeights w;
  for (int l = 0; l < kTeLayers; ++l) w[l] = layers[l].w;
  return w;
}

// Buffers of a cached pass, sized for `count` rows (x[0] is filled by the caller).
TeBodyBuffers cache_buffers(const std::array<TeLayer, kTeLayers>& layers, size_t count, TeCache& cache) {
  TeBodyBuffers b;
  b.x[0] = cache.x[0].data();
  for (int l = 0; l < kTeLayers; ++l) {
    cache.z[l].resize(count * layers[l].rows);
    cache.x[l + 1].resize(count * layers[l].rows);
    cache.norm[l].resize(count);
    b.z[l] = cache.z[l].data();
    b.x[l + 1] = cache.x[l + 1].data();
    b.norm[l] = cache.norm[l].data();
  }
  return b;
}

}  // namespace

std::array<TeLayer, kTeLayers> te_layers(const ExpanderWeights& w) {
  const uint32_t n = w.n, d = 2 * w.n;
  return {{{w.w0.data(), d, d, TeAct::Gelu, true},
           {w.w1.data(), d, d, TeAct::Gelu, true},
           {w.w2.data(), d, d, TeAct::Relu, false},
           {w.w3.data(), n, d, TeAct::Gelu, true},
           {w.w4.data(), n, n, TeAct::None, false}}};
}

void te_project(const ExpanderWeights& w, const float* t, size_t count, float* x) {
  if (count == 0) return;
  CpuTeOps ops;
  ops.gemm(gemm_forward(2 * w.n, w.m, count), 1.0f, w.ws.data(), t, x);
}

void te_body_forward(const ExpanderWeights& w, const float* x, size_t count, float* out, TeCache* cache) {
  const auto layers = te_layers(w);
  const size_t d = size_t(2) * w.n;
  CpuTeOps ops;
  if (cache) {
    cache->x[0].assign(x, x + count * d);
    te_layers_forward(ops, layers, body_weights(layers), cache_buffers(layers, count, *cache), count);
    if (out) std::copy(cache->x[kTeLayers].begin(), cache->x[kTeLayers].end(), out);
    return;
  }
  // Without a cache the layers alternate between two row buffers and share one z and one norm buffer.
  std::vector<float> ping(x, x + count * d), pong(count * d), z(count * d), norm(count);
  TeBodyBuffers b;
  for (int l = 0; l <= kTeLayers; ++l) b.x[l] = l % 2 == 0 ? ping.data() : pong.data();
  b.z.fill(z.data());
  b.norm.fill(norm.data());
  te_layers_forward(ops, layers, body_weights(layers), b, count);
  std::copy(b.x[kTeLayers], b.x[kTeLayers] + count * w.n, out);
}

void te_body_backward(const ExpanderWeights& w, const TeCache& cache, size_t count, const float* dout,
                      std::array<std::vector<float>, kTeLayers>& grads, float* dx) {
  const auto layers = te_layers(w);
  const size_t d = size_t(2) * w.n;
  TeBodyBuffers b;
  for (int l = 0; l <= kTeLayers; ++l) b.x[l] = const_cast<float*>(cache.x[l].data());  // only read
  for (int l = 0; l < kTeLayers; ++l) {
    b.z[l] = const_cast<float*>(cache.z[l].data());
    b.norm[l] = const_cast<float*>(cache.norm[l].data());
  }
  std::array<float*, kTeLayers> g;
  for (int l = 0; l < kTeLayers; ++l) {
    grads[l].resize(size_t(layers[l].rows) * layers[l].cols);
    g[l] = grads[l].data();
  }
  std::vector<float> dy(count * d), dz(count * d);
  std::copy(dout, dout + count * w.n, dy.begin());
  CpuTeOps ops;
  te_layers_backward(ops, layers, body_weights(layers), b, count, dy.data(), dz.data(), g, dx);
}

void te_forward(const ExpanderWeights& w, const float* t, size_t count, float* out) {
  std::vector<float> x;
  for (size_t start = 0; start < count; start += kForwardBatch) {
    const size_t bs = std::min(kForwardBatch, count - start);
    x.resize(bs * 2 * w.n);
    te_project(w, t + start * w.m, bs, x.data());
    te_body_forward(w, x.data(), bs, out + start * w.n, nullptr);
  }
}

}  // namespace spheremask::internal
