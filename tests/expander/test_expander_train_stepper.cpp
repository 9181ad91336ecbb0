// The GPU trainer's step sequence (cuda/expander/train_step.hpp) run on the CPU: a host Ops back end executes
// every GEMM/SYRK argument set through cblas in column-major order (cuBLAS's semantics) and every kernel
// as a serial loop over the same per-element functions the kernels call (cuda/expander/train_elements.hpp).
// It must reproduce the CPU trainer (host/expander/expander_train.cpp): one step's loss and gradients, K steps of
// SGD and Adam, divergence. Buffers start as NaN, so reading anything not written first shows.
// CPU label: this is what checks the GPU trainer's wiring on machines without a GPU.
#include <cblas.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "cuda/expander/train_step.hpp"
#include "expander/expander_rng.hpp"
#include "expander/expander_train_backends.hpp"
#include "support/expander_train_cases.hpp"
#include "support/expect_error.hpp"
#include "spheremask/error.hpp"
#include "spheremask/expander_file.hpp"

namespace spheremask::cuda {
namespace {

using testing::kTrainCases;
using testing::seed_of;
using testing::train_options;
using testing::TrainCase;

class HostTrainOps {
 public:
  template <class T>
  struct Buffer {
    std::vector<T> v;
    T* get() const { return const_cast<T*>(v.data()); }
    size_t size() const { return v.size(); }
  };
  template <class T>
  Buffer<T> make(size_t count) {
    Buffer<T> b;
    b.v.assign(count, std::numeric_limits<T>::has_quiet_NaN ? std::numeric_limits<T>::quiet_NaN() : T(7));
    return b;
  }
  void reserve(size_t, const std::string&) {}
  void upload(float* dst, const float* src, size_t count) { std::copy(src, src + count, dst); }
  template <class T>
  void download(T* dst, const T* src, size_t count) { std::copy(src, src + count, dst); }
  template <class T>
  void zero(T* p, size_t count) { std::fill(p, p + count, T(0)); }
  void synchronize() {}

  void gemm(const ColMajorGemm& g, float alpha, const float* a, const float* b, float* c) {
    cblas_sgemm(CblasColMajor, g.trans_a ? CblasTrans : CblasNoTrans, g.trans_b ? CblasTrans : CblasNoTrans, g.m,
                g.n, g.k, alpha, a, g.lda, b, g.ldb, 0.0f, c, g.ldc);
  }
  void syrk(const ColMajorSyrk& g, const float* a, float* c) {
    cblas_ssyrk(CblasColMajor, CblasUpper, g.trans ? CblasTrans : CblasNoTrans, g.n, g.k, 1.0f, a, g.lda, 0.0f, c,
                g.ldc);
  }
  void axpy(size_t count, float alpha, const float* x, float* y) { cblas_saxpy(int(count), alpha, x, 1, y, 1); }

  // The kernels of expander_train_kernels.cu, one row (block) at a time, one element (thread) at a time.
  void activate(size_t count, uint32_t len, internal::TeAct act, bool fold, const float* z, float* y, float* norm) {
    const uint32_t h = fold ? len / 2 : 0;
    for (size_t r = 0; r < count; ++r) {
      float* yr = y + r * len;
      double norm2 = 0;
      for (uint32_t j = 0; j < len; ++j) norm2 += activate_owned(j, h, act, z + r * len, yr);
      norm[r] = float(std::sqrt(norm2));
      const float inv = inverse_norm(norm[r]);
      for (uint32_t j = 0; j < len; ++j) yr[j] *= inv;
    }
  }
  void gram_weights(size_t count, const GramArgs& g, const float* gin, const float* gout, float* s, double* partial) {
    for (uint32_t i = 0; i < count; ++i) {
      double acc = 0;
      for (uint32_t j = 0; j < count; ++j) acc += gram_entry(i, j, count, g, gin, gout, s + size_t(i) * count);
      partial[i] = acc;
    }
  }
  void layer_backward(size_t count, uint32_t len, internal::TeAct act, bool fold, const float* dy, const float* y,
                      const float* norm, const float* z, float* dz) {
    const uint32_t h = fold ? len / 2 : 0;
    for (size_t r = 0; r < count; ++r) {
      const size_t off = r * len;
      double dot = 0;
      for (uint32_t j = 0; j < len; ++j) dot += double(y[off + j]) * dy[off + j];
      const float inv = inverse_norm(norm[r]);
      for (uint32_t j = 0; j < len; ++j)
        dz[off + j] = backward_element(j, h, act, dy + off, y + off, float(dot), inv, z + off);
    }
  }
  void adam(size_t count, const AdamStep& a, const float* g, float* m, float* v, float* p) {
    for (size_t k = 0; k < count; ++k) adam_element(a, g[k], m[k], v[k], p[k]);
  }
  void flag_nonfinite(size_t count, const float* p, int* flag) {
    for (size_t k = 0; k < count; ++k)
      if (!finite_value(p[k])) *flag = 1;
  }
};

using HostStepper = TrainStepper<HostTrainOps>;

double norm(const std::vector<float>& a) {
  double s = 0;
  for (float v : a) s += double(v) * v;
  return std::sqrt(s);
}

double distance(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t k = 0; k < a.size(); ++k) s += (double(a[k]) - b[k]) * (double(a[k]) - b[k]);
  return std::sqrt(s);
}

TrainOptions options(const TrainCase& c) {
  TrainOptions o = train_options(c, 30, 5);  // batch > m + 1 for the residual; a short last group of 6
  o.backend = Backend::Cpu;
  return o;
}

// n = 21: odd, so layer 3 (n × 2n) folds a row of odd length.
ExpanderWeights weights() { return init_expander(12, 21, seed_of(1)); }

std::array<const std::vector<float>*, 5> body(const ExpanderWeights& w) { return {&w.w0, &w.w1, &w.w2, &w.w3, &w.w4}; }

TEST(ExpanderTrainStepper, OneStepLossAndEveryGradientMatchTheCpuTrainer) {
  const auto w = weights();
  for (const TrainCase& c : kTrainCases) {
    SCOPED_TRACE(c.name);
    const TrainOptions o = options(c);
    const auto cpu = internal::cpu_train_probe(w, o);
    internal::SimRng rng("train/batch", o.seed);
    HostStepper stepper(w, o, o.batch);
    const TrainStep s = stepper.loss_and_grad(internal::draw_train_batch(w, o, o.batch, rng, /*project=*/false));
    EXPECT_NEAR(s.gram_loss, cpu.step.gram_loss, 1e-5 * cpu.step.gram_loss);
    EXPECT_NEAR(s.loss, cpu.step.loss, 1e-5 * (cpu.step.gram_loss + c.residual_weight));
    EXPECT_NEAR(s.residual, cpu.step.residual, 1e-5);
    const auto grads = stepper.download_grads();
    for (int l = 0; l < internal::kTeLayers; ++l) {
      ASSERT_EQ(grads[l].size(), cpu.grads[l].size()) << "layer " << l;
      ASSERT_GT(norm(cpu.grads[l]), 0) << "layer " << l;
      EXPECT_LE(distance(grads[l], cpu.grads[l]) / norm(cpu.grads[l]), 1e-5) << "layer " << l;
    }
  }
}

TEST(ExpanderTrainStepper, KStepsMatchTheCpuTrainer) {
  const auto w0 = weights();
  for (const TrainCase& c : kTrainCases) {
    SCOPED_TRACE(c.name);
    TrainOptions o = options(c);
    o.steps = 4;
    auto cpu = w0;
    std::vector<double> cpu_losses;
    train_expander(cpu, o, [&](const TrainStep& s) { cpu_losses.push_back(s.loss); });
    auto stepped = w0;
    internal::SimRng rng("train/batch", o.seed);
    HostStepper stepper(w0, o, o.batch);
    for (size_t step = 1; step <= o.steps; ++step) {
      const TrainStep s = stepper.loss_and_grad(internal::draw_train_batch(w0, o, o.batch, rng, /*project=*/false));
      EXPECT_NEAR(s.loss, cpu_losses[step - 1], 1e-5 * (std::abs(cpu_losses[step - 1]) + c.residual_weight))
          << "step " << step;
      stepper.update(step);
    }
    stepper.download_weights(stepped);
    EXPECT_EQ(stepped.ws, w0.ws);
    const auto pc = body(cpu), ps = body(stepped), p0 = body(w0);
    for (int l = 0; l < internal::kTeLayers; ++l) {
      const double moved = distance(*pc[l], *p0[l]);
      ASSERT_GT(moved, 0) << "layer " << l;
      EXPECT_LE(distance(*ps[l], *pc[l]) / moved, 1e-3) << "layer " << l;
    }
  }
}

TEST(ExpanderTrainStepper, DivergenceIsTheCpuError) {
  auto w = weights();
  w.w0[0] = std::nanf("");
  const TrainOptions o = options(kTrainCases[0]);
  internal::SimRng rng("train/batch", o.seed);
  HostStepper stepper(w, o, o.batch);
  stepper.loss_and_grad(internal::draw_train_batch(w, o, o.batch, rng, /*project=*/false));
  try {
    stepper.update(1);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("diverged at step 1"), std::string::npos) << e.what();
  }
  auto on_cpu = w;
  EXPECT_ERROR_CODE(train_expander(on_cpu, o), ErrorCode::InvalidArgument, "diverged at step 1");  // the CPU trainer fails the same way
}

}  // namespace
}  // namespace spheremask::cuda
