// The CPU backend: OpenBLAS/LAPACKE arithmetic, work spread across the batch on all cores.
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backend/backend_impl.hpp"
#include "backend/identify_hits.hpp"
#include "cpu/haar_cpu.hpp"
#include "cpu/p_rows.hpp"
#include "crypto/keyflow.hpp"
#include "decode/list_decode.hpp"
#include "util/parallel.hpp"
#include "spheremask/detail/decode.hpp"
#include "spheremask/detail/gaussian.hpp"
#include "spheremask/detail/half.hpp"
#include "spheremask/detail/rotation.hpp"
#include "spheremask/error.hpp"

namespace spheremask::internal {
namespace {

// P = Q + u·aᵀ + w·bᵀ (DESIGN §3 rotation, formulas in detail/rotation.hpp), Q column-major; writes P
// row-major f32 into out. Returns false when sinθ is degenerate (the caller draws a new Q).
bool rotate(const float* q_cm, const float* t, const detail::Codeword& c, uint32_t n, float* out,
            std::vector<float>& scratch) {
  scratch.resize(4 * size_t(n));
  float* u = scratch.data();
  float* w = u + n;
  float* a = w + n;
  float* b = a + n;
  // u = Q t
  cblas_sgemv(CblasColMajor, CblasNoTrans, n, n, 1.0f, q_cm, n, t, 1, 0.0f, u, 1);
  const double magnitude = detail::codeword_magnitude(c.alpha);
  const double cos_theta = detail::rotation_cos(c, u, magnitude);
  for (uint32_t i = 0; i < n; ++i) w[i] = detail::rotation_w_start(cos_theta, u[i]);
  for (uint32_t k = 0; k < c.alpha; ++k) w[c.index[k]] = detail::rotation_w_plus_codeword(w[c.index[k]], c, k, magnitude);
  double sin2 = 0;
  for (uint32_t i = 0; i < n; ++i) sin2 += double(w[i]) * w[i];
  const double sin_theta = std::sqrt(sin2);
  if (detail::rotation_degenerate(sin_theta)) return false;
  for (uint32_t i = 0; i < n; ++i) w[i] = detail::rotation_w_unit(w[i], sin_theta);
  // cᵀQ touches only the α rows where c is nonzero: row r of Q is strided by n in column-major.
  for (uint32_t j = 0; j < n; ++j) a[j] = 0;
  for (uint32_t k = 0; k < c.alpha; ++k) cblas_saxpy(n, detail::codeword_entry_f32(c, k, magnitude), q_cm + c.index[k], n, a, 1);
  for (uint32_t j = 0; j < n; ++j) detail::rotation_ab(a[j], t[j], cos_theta, sin_theta, &a[j], &b[j]);
  // Row-major P from column-major Q, tiled so both sides stay in cache.
  constexpr uint32_t tile = 64;
  for (uint32_t i0 = 0; i0 < n; i0 += tile)
    for (uint32_t j0 = 0; j0 < n; j0 += tile) {
      const uint32_t i1 = std::min(n, i0 + tile), j1 = std::min(n, j0 + tile);
      for (uint32_t i = i0; i < i1; ++i) {
        float* row = out + size_t(i) * n;
        const float ui = u[i], wi = w[i];
        for (uint32_t j = j0; j < j1; ++j) row[j] = detail::rotation_p(q_cm[i + size_t(j) * n], ui, a[j], wi, b[j]);
      }
    }
  return true;
}

// Every |(P t − c)_i| below the tolerance, with P row-major f32.
bool rotation_checks(const float* p, const float* t, const detail::Codeword& c, uint32_t n, std::vector<float>& y) {
  y.resize(n);
  cblas_sgemv(CblasRowMajor, CblasNoTrans, n, n, 1.0f, p, n, t, 1, 0.0f, y.data(), 1);
  const double magnitude = detail::codeword_magnitude(c.alpha);
  for (uint32_t k = 0; k < c.alpha; ++k) y[c.index[k]] -= detail::codeword_entry_f32(c, k, magnitude);
  bool ok = true;
  for (uint32_t i = 0; i < n; ++i) ok &= detail::rotation_residual_ok(y[i]);
  return ok;
}

class CpuBackend final : public BackendImpl {
 public:
  explicit CpuBackend(const EngineOptions& options)
      : threads_(resolve_threads(options.threads)), list_decoding_(options.list_decoding) {
    // Parallelism comes from spreading the batch over threads; nested BLAS threads would oversubscribe.
    openblas_set_num_threads(1);
  }

  Backend kind() const override { return Backend::Cpu; }
  std::string device_name() const override {
    return "cpu (" + std::to_string(threads_) + " threads, " + openblas_get_config() + ")";
  }

  void enroll(std::span<const EnrollItem> items, uint32_t n, Dtype dtype, uint8_t* status) override {
    parallel_for(items.size(), threads_, [&](size_t begin, size_t end, int) {
      HaarWorkspace haar(n);
      std::vector<float> p(size_t(n) * n), scratch, y;
      for (size_t i = begin; i < end; ++i) {
        const EnrollItem& item = items[i];
        const float* q = haar.generate(item.key_q);
        if (!rotate(q, item.u, *item.c, n, p.data(), scratch)) {
          status[i] = kEnrollDegenerate;
          continue;
        }
        status[i] = rotation_checks(p.data(), item.u, *item.c, n, y) ? kEnrollOk : kEnrollCheckFailed;
        if (dtype == Dtype::F32) {
          std::memcpy(item.p_out, p.data(), p.size() * sizeof(float));
        } else {
          uint16_t* out = reinterpret_cast<uint16_t*>(item.p_out);
          for (size_t e = 0; e < p.size(); ++e) out[e] = detail::float_to_half(p[e]);
        }
      }
      secure_zero(scratch.data(), scratch.size() * sizeof(float));
      secure_zero(y.data(), y.size() * sizeof(float));
    });
  }

  void verify(std::span<const VerifyItem> items, uint32_t n, uint32_t alpha, Dtype dtype, uint8_t* match,
              detail::Codeword* matched) override {
    parallel_for(items.size(), threads_, [&](size_t begin, size_t end, int) {
      std::vector<float> y(n), expanded;
      auto list = list_decoder();
      for (size_t i = begin; i < end; ++i) {
        const VerifyItem& item = items[i];
        const float* p = p_as_f32(item.p, dtype, size_t(n) * n, expanded);
        cblas_sgemv(CblasRowMajor, CblasNoTrans, n, n, 1.0f, p, n, item.probe, 1, 0.0f, y.data(), 1);
        match[i] = match_verifier(y.data(), n, alpha, item.salt, item.verifier, list.get(), &matched[i]) ? 1 : 0;
      }
      secure_zero(y.data(), y.size() * sizeof(float));
    });
  }

  std::vector<IdentifyHit> identify(std::span<const GalleryItem> gallery, const float* probes, size_t probe_count,
                                    uint32_t n, uint32_t alpha, Dtype dtype) override {
    constexpr size_t kProbeBlock = 256;  // Y = T·Pᵀ one probe block at a time keeps Y in cache
    std::vector<IdentifyHit> hits;
    std::mutex hits_mutex;
    parallel_for(gallery.size(), threads_, [&](size_t begin, size_t end, int) {
      std::vector<float> y(std::min(kProbeBlock, probe_count) * n), expanded;
      std::vector<IdentifyHit> local;
      detail::Codeword c;
      auto list = list_decoder();
      for (size_t r = begin; r < end; ++r) {
        const float* p = p_as_f32(gallery[r].p, dtype, size_t(n) * n, expanded);
        for (size_t b0 = 0; b0 < probe_count; b0 += kProbeBlock) {
          const size_t bs = std::min(kProbeBlock, probe_count - b0);
          // Row b of Y = (P·t_b)ᵀ.
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(bs), n, n, 1.0f, probes + b0 * n, n, p, n, 0.0f,
                      y.data(), n);
          for (size_t b = 0; b < bs; ++b)
            if (match_verifier(y.data() + b * n, n, alpha, gallery[r].salt, gallery[r].verifier, list.get(), &c))
              local.push_back({uint32_t(r), uint32_t(b0 + b), c});
        }
      }
      c.wipe();
      secure_zero(y.data(), y.size() * sizeof(float));
      std::lock_guard<std::mutex> lock(hits_mutex);
      hits.insert(hits.end(), local.begin(), local.end());
      for (auto& h : local) h.codeword.wipe();
    });
    sort_hits(hits);
    return hits;
  }

  void haar(const uint8_t key[32], uint32_t n, float* q) override { haar_row_major(key, n, q); }

  void gaussian(const uint8_t key[32], uint64_t first, size_t count, float* out) override {
    uint32_t kw[8];
    detail::key_words(key, kw);
    detail::gaussian_range(kw, first, count, out);
    secure_zero(kw, sizeof kw);
  }

 private:
  // One per worker thread; null = the nearest codeword only.
  std::unique_ptr<ListDecoder> list_decoder() const {
    return list_decoding_.enabled() ? std::make_unique<ListDecoder>(list_decoding_) : nullptr;
  }

  int threads_;
  ListDecoding list_decoding_;
};

}  // namespace

std::unique_ptr<BackendImpl> make_cpu_backend(const EngineOptions& options) {
  return std::make_unique<CpuBackend>(options);
}

}  // namespace spheremask::internal
