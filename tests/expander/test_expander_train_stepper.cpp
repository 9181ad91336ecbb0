// The trainer's step sequence (host/expander/train_step.hpp) over ops that behave as the GPU's do where
// the CPU ops differ: buffers start as NaN, so reading anything not written first shows, and the
// activation's norm is reduced in the kernel's owner order. It must reproduce the CPU trainer: one
// step's loss and gradients, K steps of SGD and Adam, divergence.
// CPU label: this is what checks the GPU trainer's wiring on machines without a GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "expander/cpu_ops.hpp"
#include "expander/train_step.hpp"
#include "expander/expander_rng.hpp"
#include "expander/expander_train_backends.hpp"
#include "support/expander_train_cases.hpp"
#include "support/expect_error.hpp"
#include "spheremask/error.hpp"
#include "spheremask/expander_file.hpp"

namespace spheremask::internal {
namespace {

using testing::kTrainCases;
using testing::seed_of;
using testing::train_options;
using testing::TrainCase;

// The CPU ops with what differs on the GPU: buffers that start as NaN (as uninitialized device memory
// may), and the activation kernel's norm summed in its owners' order (activate_owned's return values).
class HostTrainOps : public internal::CpuTeOps {
 public:
  template <class T>
  Buffer<T> make(size_t count) {
    Buffer<T> b;
    b.v.assign(count, std::numeric_limits<T>::has_quiet_NaN ? std::numeric_limits<T>::quiet_NaN() : T(7));
    return b;
  }
  void activate(size_t count, uint32_t len, internal::TeAct act, bool fold, const float* z, float* y, float* norm) {
    const uint32_t h = fold ? len / 2 : 0;
    for (size_t r = 0; r < count; ++r) {
      float* yr = y + r * len;
      double norm2 = 0;
      for (uint32_t j = 0; j < len; ++j) norm2 += detail::activate_owned(j, h, act, z + r * len, yr);
      norm[r] = float(std::sqrt(norm2));
      const float inv = detail::inverse_norm(norm[r]);
      for (uint32_t j = 0; j < len; ++j) yr[j] *= inv;
    }
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
}  // namespace spheremask::internal
