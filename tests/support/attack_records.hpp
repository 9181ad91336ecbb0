// Small expander records for the attack tests: m = 32 -> n = 128, α = 8, a linear (exactly
// angle-preserving) expander and the published recipe, seeded templates and deterministic enrollment.
// Test data only; nothing here is secret.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "crypto/crypto.hpp"
#include "expander/expander_rng.hpp"
#include "spheremask/engine.hpp"
#include "spheremask/expander_file.hpp"
#include "spheremask/expander_train.hpp"

namespace spheremask::testing {

// k/n = 33/128: at n = 128 a half-dimensional subspace leaves too little room for a pursuit to start
// right, while the real sizes (512 -> 1024) are broken at k/n = 1/2 (bench/RESULTS.md).
constexpr uint32_t kM = 32, kN = 128, kAlpha = 8;

// A linear, exactly angle-preserving expander: t -> the first n rows of W_s·t (W_s semi-orthogonal
// from the published init), renormalized. The worst case the design warns about.
class LinearExpander final : public Expander {
 public:
  LinearExpander(uint32_t m, uint32_t n) : m_(m), n_(n) {
    std::array<uint8_t, 32> seed{};
    seed[0] = 7;
    const ExpanderWeights w = init_expander(m, n, seed);
    // Rows of W_s (2n×m) have norm ≈ 1/√2; columns of its first n rows are near-orthogonal, which is enough.
    a_.assign(w.ws.begin(), w.ws.begin() + size_t(n) * m);
    id_ = crypto::sha256({reinterpret_cast<const uint8_t*>(a_.data()), a_.size() * sizeof(float)});
  }
  uint32_t input_dim() const override { return m_; }
  uint32_t output_dim() const override { return n_; }
  const std::array<uint8_t, 32>& id() const override { return id_; }
  void forward(const float* in, size_t count, float* out) const override {
    for (size_t r = 0; r < count; ++r) {
      double norm2 = 0;
      for (uint32_t i = 0; i < n_; ++i) {
        double s = 0;
        for (uint32_t j = 0; j < m_; ++j) s += double(a_[size_t(i) * m_ + j]) * in[r * m_ + j];
        out[r * n_ + i] = float(s);
        norm2 += s * s;
      }
      for (uint32_t i = 0; i < n_; ++i) out[r * n_ + i] = float(out[r * n_ + i] / std::sqrt(norm2));
    }
  }

 private:
  uint32_t m_, n_;
  std::vector<float> a_;
  std::array<uint8_t, 32> id_{};
};

inline std::shared_ptr<const Expander> recipe_expander() {
  static const auto e = [] {
    std::array<uint8_t, 32> seed{};
    seed[0] = 1;
    ExpanderWeights w = init_expander(kM, kN, seed);
    TrainOptions o;  // the published recipe: Gram objective, 15 SGD steps, lr 0.01
    o.backend = Backend::Cpu;
    train_expander(w, o);
    return make_expander(std::move(w));
  }();
  return e;
}

inline std::vector<float> unit_rows(size_t rows, uint32_t dim, uint64_t seed) {
  internal::SimRng rng("test/attack-invert", seed);
  std::vector<float> t(rows * dim);
  for (size_t i = 0; i < rows; ++i) rng.unit_vector(t.data() + i * dim, dim);
  return t;
}

struct Enrolled {
  std::unique_ptr<Engine> engine;
  std::vector<float> templates;
  std::vector<Record> records;
};

// count seeded unit templates enrolled with (or without: e null, m = n) the expander, bound to app_key if given.
inline Enrolled enroll_attack_records(std::shared_ptr<const Expander> e, uint32_t m, uint32_t n, size_t count,
                                      std::optional<std::array<uint8_t, 32>> app_key = std::nullopt,
                                      uint32_t alpha = kAlpha) {
  Params p;
  p.m = m;
  p.n = n;
  p.alpha = alpha;
  p.allow_weak = true;
  p.expander = std::move(e);
  p.app_key = app_key;
  EngineOptions eo;
  eo.threads = 1;
  Enrolled out;
  out.engine = make_engine(p, Backend::Cpu, eo);
  out.templates = unit_rows(count, m, 3);
  EnrollOptions en;
  en.insecure_seed = std::array<uint8_t, 32>{};
  (*en.insecure_seed)[0] = 9;
  out.records = out.engine->enroll(out.templates.data(), count, en);
  return out;
}

}  // namespace spheremask::testing
