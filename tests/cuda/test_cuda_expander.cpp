// The template expander's GPU forward: agreement with the CPU reference at both
// test sizes, initialized and trained, the one-slot weights cache, the fallback for other Expander
// implementations, and engine round trips with an expander across backends.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "backend/backend_impl.hpp"
#include "support/backends.hpp"
#include "spheremask/engine.hpp"
#include "spheremask/expander_file.hpp"
#include "spheremask/expander_train.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using Seed = std::array<uint8_t, 32>;  // Seed{b}: first byte b, the rest zero

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0;
  for (size_t k = 0; k < a.size(); ++k) worst = std::max(worst, double(std::abs(a[k] - b[k])));
  return worst;
}

// Largest |CPU − GPU| over every output element for `rows` random unit templates.
double forward_disagreement(internal::BackendImpl& cuda, const ExpanderWeights& w, size_t rows) {
  const auto e = make_expander(w);
  const auto in = testing::random_unit_rows(rows, w.m, 11);
  std::vector<float> cpu(rows * w.n), gpu(rows * w.n, std::nanf(""));
  e->forward(in.data(), rows, cpu.data());
  cuda.expand(*e, in.data(), rows, gpu.data());
  return max_abs_diff(cpu, gpu);
}

TEST(CudaExpander, ForwardAgreesWithCpuAt128To256) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  auto cuda = internal::make_cuda_backend(EngineOptions{});
  auto w = init_expander(128, 256, Seed{1});
  const auto initialized = w;
  EXPECT_LE(forward_disagreement(*cuda, w, 300), 1e-4) << "initialized";
  train_expander(w, TrainOptions{});  // the published recipe
  EXPECT_LE(forward_disagreement(*cuda, w, 300), 1e-4) << "trained";
  // Back to the first expander: the cache slot is replaced by id, not reused by shape.
  EXPECT_LE(forward_disagreement(*cuda, initialized, 5), 1e-4) << "initialized again";
}

TEST(CudaExpander, ForwardAgreesWithCpuAt512To1024) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  auto cuda = internal::make_cuda_backend(EngineOptions{});
  auto w = init_expander(512, 1024, Seed{2});
  EXPECT_LE(forward_disagreement(*cuda, w, 64), 1e-4) << "initialized";
  TrainOptions o;
  o.steps = 3;  // enough to leave the orthogonal start; keeps the CPU side of the test short
  o.batch = 64;
  o.backend = Backend::Cpu;  // the weights under test come from the CPU trainer (Auto would pick the GPU)
  train_expander(w, o);
  EXPECT_LE(forward_disagreement(*cuda, w, 64), 1e-4) << "trained";
}

// An Expander that is not the SMTE network runs its own forward on any backend.
class CopyExpander final : public Expander {
 public:
  uint32_t input_dim() const override { return 4; }
  uint32_t output_dim() const override { return 4; }
  const std::array<uint8_t, 32>& id() const override { return id_; }
  void forward(const float* in, size_t count, float* out) const override {
    for (size_t k = 0; k < count * 4; ++k) out[k] = in[k];
    ++calls;
  }
  mutable int calls = 0;

 private:
  std::array<uint8_t, 32> id_{};
};

TEST(CudaExpander, OtherExpanderImplementationsRunTheirOwnForward) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  auto cuda = internal::make_cuda_backend(EngineOptions{});
  CopyExpander e;
  const std::vector<float> in = {1, 0, 0, 0, 0, 1, 0, 0};
  std::vector<float> out(8);
  cuda->expand(e, in.data(), 2, out.data());
  EXPECT_EQ(e.calls, 1);
  EXPECT_EQ(out, in);
}

TEST(CudaExpander, EngineRoundTripAcrossBackends) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  Params p;
  p.m = 128;
  p.n = 256;
  p.alpha = 16;
  p.allow_weak = true;
  p.expander = make_expander(init_expander(128, 256, Seed{3}));
  auto cpu = make_engine(p, Backend::Cpu), gpu = make_engine(p, Backend::Cuda);
  const size_t count = 8;
  const auto t = testing::random_unit_rows(count, p.m, 5);
  const auto strangers = testing::random_unit_rows(count, p.m, 6);
  EXPECT_LE(max_abs_diff(cpu->prepare(t.data(), count), gpu->prepare(t.data(), count)), 1e-4);
  EnrollOptions eo;
  eo.insecure_seed = Seed{9};
  for (auto [enroller, verifier] : {std::pair{gpu.get(), cpu.get()}, std::pair{cpu.get(), gpu.get()}}) {
    SCOPED_TRACE("enroll on " + std::string(backend_name(enroller->backend())));
    const auto records = enroller->enroll(t.data(), count, eo);
    ASSERT_EQ(records.size(), count);
    EXPECT_EQ(records[0].expander_id, p.expander->id());
    const auto genuine = verifier->verify(t.data(), count, records);
    const auto impostor = verifier->verify(strangers.data(), count, records);
    for (size_t i = 0; i < count; ++i) {
      EXPECT_EQ(genuine[i], Decision::Accept) << "row " << i;
      EXPECT_EQ(impostor[i], Decision::Reject) << "row " << i;
    }
  }
}

}  // namespace
}  // namespace spheremask
