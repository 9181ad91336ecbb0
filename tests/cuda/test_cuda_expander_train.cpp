// Template-expander training on the GPU: one step's loss and every layer's gradient against
// the CPU trainer for both objectives (with and without the residual term), a few GPU steps lowering
// the loss deterministically, the weights after K steps of SGD and Adam close to the CPU's, Auto's
// choice, and divergence reported as on the CPU. Skipped without a device (gpu label).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "support/backends.hpp"
#include "expander/expander_train_backends.hpp"
#include "support/expander_train_cases.hpp"
#include "spheremask/error.hpp"
#include "spheremask/expander_file.hpp"
#include "spheremask/expander_train.hpp"

namespace spheremask {
namespace {

using testing::kTrainCases;
using testing::seed_of;
using testing::train_options;
using testing::TrainCase;

double norm(const std::vector<float>& a) {
  double s = 0;
  for (float v : a) s += double(v) * v;
  return std::sqrt(s);
}

// ‖a − b‖ / ‖ref‖.
double relative_diff(const std::vector<float>& a, const std::vector<float>& b, double ref) {
  double s = 0;
  for (size_t k = 0; k < a.size(); ++k) s += (double(a[k]) - b[k]) * (double(a[k]) - b[k]);
  return std::sqrt(s) / ref;
}

std::vector<float> minus(const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<float> d(a.size());
  for (size_t k = 0; k < a.size(); ++k) d[k] = a[k] - b[k];
  return d;
}

std::array<const std::vector<float>*, 5> body(const ExpanderWeights& w) { return {&w.w0, &w.w1, &w.w2, &w.w3, &w.w4}; }

// m = 48, n = 161 (odd: layer 3 folds rows of odd length on the device; 2n = 322 is not a multiple of
// the GEMM tiles), batch 120 > m + 1 (residual) and not a multiple of the group of 8 (a short last group).
TEST(CudaExpanderTrain, OneStepLossAndEveryGradientAgreeWithCpu) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  const auto w = init_expander(48, 161, seed_of(1));
  for (const TrainCase& c : kTrainCases) {
    SCOPED_TRACE(c.name);
    const TrainOptions o = train_options(c, 120, 3);
    const auto cpu = internal::cpu_train_probe(w, o);
    const auto gpu = internal::cuda_train_probe(w, o);
    // The loss is a difference when the residual term is on: tolerance relative to its two terms.
    EXPECT_NEAR(gpu.step.loss, cpu.step.loss, 1e-3 * (cpu.step.gram_loss + c.residual_weight) + 1e-9);
    EXPECT_NEAR(gpu.step.gram_loss, cpu.step.gram_loss, 1e-3 * cpu.step.gram_loss + 1e-9);
    EXPECT_NEAR(gpu.step.residual, cpu.step.residual, 1e-3 * std::abs(cpu.step.residual));
    for (int l = 0; l < internal::kTeLayers; ++l) {
      ASSERT_EQ(gpu.grads[l].size(), cpu.grads[l].size()) << "layer " << l;
      const double ref = norm(cpu.grads[l]);
      ASSERT_GT(ref, 0) << "layer " << l;
      EXPECT_LE(relative_diff(gpu.grads[l], cpu.grads[l], ref), 1e-3) << "layer " << l;
    }
  }
}

// One step's loss and every layer's gradient, GPU vs CPU, for the published recipe and the pairs
// objective with the residual term.
void expect_one_step_agrees(const ExpanderWeights& w, size_t batch) {
  for (const TrainCase& c : {kTrainCases[0], kTrainCases[4]}) {
    SCOPED_TRACE(c.name);
    const TrainOptions o = train_options(c, batch, 3);
    const auto cpu = internal::cpu_train_probe(w, o);
    const auto gpu = internal::cuda_train_probe(w, o);
    EXPECT_NEAR(gpu.step.loss, cpu.step.loss, 1e-3 * (cpu.step.gram_loss + c.residual_weight) + 1e-9);
    for (int l = 0; l < internal::kTeLayers; ++l)
      EXPECT_LE(relative_diff(gpu.grads[l], cpu.grads[l], norm(cpu.grads[l])), 1e-3) << "layer " << l;
  }
}

// The default batch sizes (256 Gram; max(256, 4(m+1)) Pairs) at a larger n.
TEST(CudaExpanderTrain, OneStepAgreesWithCpuAtDefaultBatch) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  expect_one_step_agrees(init_expander(128, 512, seed_of(2)), 0);
}

// n = 1024, where Auto starts choosing the GPU; batch 192 (> m + 1 for the residual) keeps the CPU quick.
TEST(CudaExpanderTrain, OneStepAgreesWithCpuAtN1024) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  expect_one_step_agrees(init_expander(128, 1024, seed_of(6)), 192);
}

TEST(CudaExpanderTrain, PublishedRecipeLowersTheLossDeterministically) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  const auto w0 = init_expander(64, 128, seed_of(3));
  TrainOptions o;  // gram, 15 SGD steps, lr 0.01
  o.backend = Backend::Cuda;
  auto a = w0, b = w0;
  const double before = evaluate_objective(a, o).loss;
  size_t calls = 0;
  const auto r = train_expander(a, o, [&](const TrainStep& s) { EXPECT_EQ(s.step, ++calls); });
  EXPECT_EQ(r.backend, Backend::Cuda);
  EXPECT_EQ(calls, 15u);
  EXPECT_LT(r.last_loss, r.first_loss);
  EXPECT_LT(evaluate_objective(a, o).loss, before);
  train_expander(b, o);
  EXPECT_EQ(serialize_expander(a), serialize_expander(b));  // deterministic for a seed
  EXPECT_EQ(a.ws, w0.ws);                                   // W_s is never trained
}

// After K steps the weights moved the same way on both backends: ‖W_gpu − W_cpu‖ small next to the
// distance travelled ‖W_cpu − W_0‖.
TEST(CudaExpanderTrain, WeightsAfterKStepsCloseToCpu) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  const auto w0 = init_expander(48, 160, seed_of(4));
  for (const TrainCase& c : kTrainCases) {
    SCOPED_TRACE(c.name);
    TrainOptions o = train_options(c, 120, 3);
    o.steps = 5;
    auto cpu = w0, gpu = w0;
    o.backend = Backend::Cpu;
    const auto rc = train_expander(cpu, o);
    o.backend = Backend::Cuda;
    const auto rg = train_expander(gpu, o);
    EXPECT_EQ(rc.backend, Backend::Cpu);
    EXPECT_EQ(rg.backend, Backend::Cuda);
    EXPECT_NEAR(rg.first_loss, rc.first_loss, 1e-3 * (std::abs(rc.first_loss) + c.residual_weight) + 1e-9);
    EXPECT_NEAR(rg.last_loss, rc.last_loss, 1e-3 * (std::abs(rc.last_loss) + c.residual_weight) + 1e-9);
    const auto pc = body(cpu), pg = body(gpu), p0 = body(w0);
    for (int l = 0; l < internal::kTeLayers; ++l) {
      const double moved = norm(minus(*pc[l], *p0[l]));
      ASSERT_GT(moved, 0) << "layer " << l;
      EXPECT_LE(relative_diff(*pg[l], *pc[l], moved), 1e-2) << "layer " << l;
    }
  }
}

TEST(CudaExpanderTrain, AutoTrainsOnTheGpuFromTheThreshold) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  ExpanderWeights w;
  TrainOptions o;
  w.n = kTrainGpuMinN;
  EXPECT_EQ(train_backend(w, o), Backend::Cuda);
  w.n = kTrainGpuMinN - 1;
  EXPECT_EQ(train_backend(w, o), Backend::Cpu);
  o.backend = Backend::Cuda;
  EXPECT_EQ(train_backend(w, o), Backend::Cuda);
}

TEST(CudaExpanderTrain, DivergenceIsTheCpuError) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  auto w = init_expander(8, 16, seed_of(5));
  w.w0[0] = std::nanf("");  // NaN through GELU, fold and normalize into every gradient and weight
  const auto untouched = w;
  TrainOptions o;
  o.backend = Backend::Cuda;
  try {
    train_expander(w, o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("diverged at step 1"), std::string::npos) << e.what();
  }
  const auto now = body(w), before = body(untouched);  // the GPU run leaves w as it was (bytes: NaN ≠ NaN)
  for (int l = 0; l < internal::kTeLayers; ++l)
    EXPECT_EQ(std::memcmp(now[l]->data(), before[l]->data(), now[l]->size() * sizeof(float)), 0) << "layer " << l;
}

}  // namespace
}  // namespace spheremask
