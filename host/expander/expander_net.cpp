#include "expander/expander_net.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>

namespace spheremask::internal {
namespace {

constexpr size_t kForwardBatch = 256;

// GELU, exact erf form: z·Φ(z).
inline float gelu(float z) { return 0.5f * z * (1.0f + std::erf(z * 0.70710678118654752f)); }
inline float gelu_grad(float z) {
  const float cdf = 0.5f * (1.0f + std::erf(z * 0.70710678118654752f));
  const float pdf = 0.39894228040143268f * std::exp(-0.5f * z * z);
  return cdf + z * pdf;
}

// Z (count × rows) = X (count × cols) · Wᵀ
void gemm_xwt(const TeLayer& l, const float* x, size_t count, float* z) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(count), int(l.rows), int(l.cols), 1.0f, x, int(l.cols),
              l.w, int(l.cols), 0.0f, z, int(l.rows));
}

// x[0:h] += x[h:2h]; the second half is kept (h = half the length).
inline void fold(float* row, uint32_t len) {
  const uint32_t h = len / 2;
  for (uint32_t j = 0; j < h; ++j) row[j] += row[h + j];
}

// Fused activation, fold and normalization of one row; returns the norm before normalization.
float activate_row(const TeLayer& l, const float* z, float* out) {
  for (uint32_t j = 0; j < l.rows; ++j) {
    const float v = z[j];
    out[j] = l.act == TeAct::Gelu ? gelu(v) : l.act == TeAct::Relu ? std::max(v, 0.0f) : v;
  }
  if (l.fold) fold(out, l.rows);
  double norm2 = 0;
  for (uint32_t j = 0; j < l.rows; ++j) norm2 += double(out[j]) * out[j];
  const float norm = float(std::sqrt(norm2));
  // A dead row (all-zero ReLU output) stays zero instead of turning into NaN.
  const float inv = norm > 0 ? 1.0f / norm : 0.0f;
  for (uint32_t j = 0; j < l.rows; ++j) out[j] *= inv;
  return norm;
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
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(count), int(2 * w.n), int(w.m), 1.0f, t, int(w.m),
              w.ws.data(), int(w.m), 0.0f, x, int(2 * w.n));
}

void te_body_forward(const ExpanderWeights& w, const float* x, size_t count, float* out, TeCache* cache) {
  const auto layers = te_layers(w);
  std::vector<float> z_local, a_local, in_local(x, x + count * 2 * w.n);
  const float* in = in_local.data();
  if (cache) {
    cache->x[0] = std::move(in_local);
    in = cache->x[0].data();
  }
  for (int li = 0; li < kTeLayers; ++li) {
    const TeLayer& l = layers[li];
    std::vector<float>& z = cache ? cache->z[li] : z_local;
    z.resize(count * l.rows);
    gemm_xwt(l, in, count, z.data());
    std::vector<float>& a = cache ? cache->x[li + 1] : a_local;
    a.resize(count * l.rows);
    if (cache) cache->norm[li].resize(count);
    for (size_t i = 0; i < count; ++i) {
      const float nrm = activate_row(l, z.data() + i * l.rows, a.data() + i * l.rows);
      if (cache) cache->norm[li][i] = nrm;
    }
    if (!cache) {
      in_local.swap(a_local);
      in = in_local.data();
    } else {
      in = a.data();
    }
  }
  if (out) std::copy(in, in + count * w.n, out);
}

void te_body_backward(const ExpanderWeights& w, const TeCache& cache, size_t count, const float* dout,
                      std::array<std::vector<float>, kTeLayers>& grads, float* dx) {
  const auto layers = te_layers(w);
  std::vector<float> dy(dout, dout + count * w.n), dz;
  for (int li = kTeLayers - 1; li >= 0; --li) {
    const TeLayer& l = layers[li];
    const float* y = cache.x[li + 1].data();
    const float* z = cache.z[li].data();
    dz.resize(count * l.rows);
    for (size_t i = 0; i < count; ++i) {
      const float* yi = y + i * l.rows;
      float* g = dy.data() + i * l.rows;
      float* gz = dz.data() + i * l.rows;
      // Normalization: dF = (dY − y (y·dY)) / ‖f‖.
      double dot = 0;
      for (uint32_t j = 0; j < l.rows; ++j) dot += double(yi[j]) * g[j];
      const float nrm = cache.norm[li][i];
      const float inv = nrm > 0 ? 1.0f / nrm : 0.0f;
      for (uint32_t j = 0; j < l.rows; ++j) g[j] = (g[j] - yi[j] * float(dot)) * inv;
      // Fold: a[h+j] fed both f[j] and f[h+j].
      if (l.fold) {
        const uint32_t h = l.rows / 2;
        for (uint32_t j = 0; j < h; ++j) g[h + j] += g[j];
      }
      const float* zi = z + i * l.rows;
      for (uint32_t j = 0; j < l.rows; ++j) {
        const float d = l.act == TeAct::Gelu ? gelu_grad(zi[j]) : l.act == TeAct::Relu ? (zi[j] > 0 ? 1.0f : 0.0f) : 1.0f;
        gz[j] = g[j] * d;
      }
    }
    // dW = dZᵀ X, dX = dZ W.
    grads[li].resize(size_t(l.rows) * l.cols);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, int(l.rows), int(l.cols), int(count), 1.0f, dz.data(),
                int(l.rows), cache.x[li].data(), int(l.cols), 0.0f, grads[li].data(), int(l.cols));
    if (li > 0 || dx) {
      std::vector<float> dprev(count * l.cols);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(count), int(l.cols), int(l.rows), 1.0f, dz.data(),
                  int(l.rows), l.w, int(l.cols), 0.0f, dprev.data(), int(l.cols));
      if (li == 0) std::copy(dprev.begin(), dprev.end(), dx);
      dy.swap(dprev);
    }
  }
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
