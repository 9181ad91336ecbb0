// Where expander training runs: Auto's threshold, an explicit CUDA request without a device
// (Error{Unavailable} from the library, exit code 2 and the error name from the CLI), Auto falling back
// to the CPU, a failed CPU run leaving the weights as they were, and the one-step probe the
// cross-backend tests use. CPU only: the GPU side is in
// test_cuda_expander_train.cpp.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <string>

#include "expander/expander_train_backends.hpp"
#include "support/expander_train_cases.hpp"
#include "support/expect_error.hpp"
#include "support/run_cli.hpp"
#include "spheremask/engine.hpp"
#include "spheremask/error.hpp"
#include "spheremask/expander_file.hpp"
#include "spheremask/expander_train.hpp"

namespace spheremask {
namespace {

using testing::run_cli;
using testing::seed_of;

TEST(ExpanderTrainBackend, AutoNeedsTheThresholdAndADevice) {
  ExpanderWeights w;
  TrainOptions o;
  w.n = kTrainGpuMinN - 1;
  EXPECT_EQ(train_backend(w, o), Backend::Cpu);
  w.n = kTrainGpuMinN;
  EXPECT_EQ(train_backend(w, o), cuda_device_count() > 0 ? Backend::Cuda : Backend::Cpu);
  o.backend = Backend::Cpu;
  EXPECT_EQ(train_backend(w, o), Backend::Cpu);
  o.backend = Backend::Cuda;
  EXPECT_EQ(train_backend(w, o), Backend::Cuda);
}

TEST(ExpanderTrainBackend, ExplicitGpuWithoutDeviceIsUnavailableAndAutoRunsOnTheCpu) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  const auto w0 = init_expander(8, 16, seed_of(1));
  TrainOptions o;
  o.steps = 2;
  auto w = w0;
  o.backend = Backend::Cuda;
  EXPECT_ERROR_CODE(train_expander(w, o), ErrorCode::Unavailable);
  EXPECT_EQ(serialize_expander(w), serialize_expander(w0));
  EXPECT_ERROR_CODE(internal::cuda_train_probe(w0, o), ErrorCode::Unavailable);
  // Auto trains on the CPU: below the threshold, and at n ≥ kTrainGpuMinN without a device (a body of
  // zeros is enough to check where it runs).
  o.backend = Backend::Auto;
  EXPECT_EQ(train_expander(w, o).backend, Backend::Cpu);
  auto on_cpu = w0;
  o.backend = Backend::Cpu;
  train_expander(on_cpu, o);
  EXPECT_EQ(serialize_expander(w), serialize_expander(on_cpu));
  ExpanderWeights big;
  big.m = 4;
  big.n = kTrainGpuMinN;
  const size_t d = 2 * big.n;
  big.ws.assign(d * big.m, 0.0f);
  for (uint32_t j = 0; j < big.m; ++j) big.ws[j * big.m + j] = 1.0f;
  big.w0.assign(d * d, 0.0f);
  big.w1 = big.w0;
  big.w2 = big.w0;
  big.w3.assign(size_t(big.n) * d, 0.0f);
  big.w4.assign(size_t(big.n) * big.n, 0.0f);
  o.backend = Backend::Auto;
  o.steps = 1;
  o.batch = 4;
  EXPECT_EQ(train_expander(big, o).backend, Backend::Cpu);
}

TEST(ExpanderTrainBackend, CliReportsTheBackendAndRefusesCudaWithoutDevice) {
  SPHEREMASK_SKIP_WITHOUT_CLI();
  const testing::ScratchDir dir("train-backend");
  const std::string in = dir.file("in.smte"), out = dir.file("out.smte");
  ASSERT_EQ(run_cli({"expander", "init", "--m", "8", "--n", "16", "--out", in}).exit_code, 0);
  const auto cpu = run_cli({"expander", "train", "--in", in, "--out", out, "--steps", "2", "--backend", "cpu"});
  EXPECT_EQ(cpu.exit_code, 0) << cpu.err;
  EXPECT_NE(cpu.err.find("backend=cpu"), std::string::npos) << cpu.err;
  EXPECT_NE(cpu.err.find("trained on cpu"), std::string::npos) << cpu.err;
  const auto autob = run_cli({"expander", "train", "--in", in, "--out", out, "--steps", "2"});  // auto: n < threshold
  EXPECT_EQ(autob.exit_code, 0) << autob.err;
  EXPECT_NE(autob.err.find("trained on cpu"), std::string::npos) << autob.err;
  EXPECT_NE(run_cli({"expander", "train", "--in", in, "--out", out, "--backend", "gpu"}).exit_code, 0);  // not a choice
  if (cuda_device_count() == 0) {
    const auto cuda = run_cli({"expander", "train", "--in", in, "--out", out, "--steps", "2", "--backend", "cuda"});
    EXPECT_EQ(cuda.exit_code, 2) << cuda.err;
    EXPECT_NE(cuda.err.find("error (unavailable)"), std::string::npos) << cuda.err;
  }
}

// The weights come back only after the last step (as on the GPU): a run that diverges leaves the
// caller's weights bit for bit as they were, not updated with NaN gradients.
TEST(ExpanderTrainBackend, ADivergedCpuRunLeavesTheWeightsAsTheyWere) {
  auto w = init_expander(12, 24, seed_of(3));
  w.w2[5] = std::nanf("");  // every gradient of the first step is NaN
  const auto w0 = w;
  TrainOptions o;
  o.backend = Backend::Cpu;
  o.steps = 3;
  EXPECT_ERROR_CODE(train_expander(w, o), ErrorCode::InvalidArgument, "diverged at step 1");
  const std::array<const std::vector<float>*, 6> before = {&w0.ws, &w0.w0, &w0.w1, &w0.w2, &w0.w3, &w0.w4},
                                                 after = {&w.ws, &w.w0, &w.w1, &w.w2, &w.w3, &w.w4};
  for (size_t l = 0; l < before.size(); ++l) {
    ASSERT_EQ(after[l]->size(), before[l]->size()) << "matrix " << l;
    EXPECT_EQ(std::memcmp(after[l]->data(), before[l]->data(), before[l]->size() * sizeof(float)), 0) << "matrix " << l;
  }
}

// The probe is the first step without its update: one SGD step moves W by −lr·(probe gradient).
TEST(ExpanderTrainBackend, CpuProbeIsTheFirstStepsGradient) {
  const auto w0 = init_expander(12, 24, seed_of(2));
  TrainOptions o;
  o.objective = TrainObjective::Pairs;
  o.residual_weight = 0.5;
  o.batch = 40;
  o.steps = 1;
  o.backend = Backend::Cpu;
  const auto probe = internal::cpu_train_probe(w0, o);
  auto w = w0;
  const auto r = train_expander(w, o);
  EXPECT_EQ(probe.step.loss, r.first_loss);
  EXPECT_GE(probe.step.residual, 0);
  const std::array<const std::vector<float>*, 5> before = {&w0.w0, &w0.w1, &w0.w2, &w0.w3, &w0.w4},
                                                 after = {&w.w0, &w.w1, &w.w2, &w.w3, &w.w4};
  for (int l = 0; l < internal::kTeLayers; ++l)
    for (size_t k = 0; k < after[l]->size(); ++k)
      ASSERT_NEAR((*after[l])[k], (*before[l])[k] - o.lr * probe.grads[l][k], 1e-6) << "layer " << l << " entry " << k;
}

}  // namespace
}  // namespace spheremask
