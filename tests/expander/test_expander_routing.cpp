// The engine runs the template expander through its backend (BackendImpl::expand): on
// the CPU the routed path gives exactly the expander's own forward between two normalizations, and
// every engine call that prepares templates goes through the backend's expand.
#include <gtest/gtest.h>

#include <memory>
#include <utility>

#include "backend/backend_impl.hpp"
#include "spheremask/engine.hpp"
#include "spheremask/expander_file.hpp"
#include "engine/template_prep.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

Params expander_params() {
  Params p;
  p.m = 12;
  p.n = 64;
  p.alpha = 8;
  p.allow_weak = true;
  p.expander = make_expander(init_expander(p.m, p.n, std::array<uint8_t, 32>{4}));
  return p;
}

TEST(ExpanderRouting, CpuPrepareEqualsForwardBetweenNormalizations) {
  const Params p = expander_params();
  // First: the CPU backend pins OpenBLAS to one thread, which fixes the GEMM summation order for both sides.
  auto engine = make_engine(p, Backend::Cpu);
  const size_t rows = 300;  // crosses the CPU forward's 256-row batch
  auto raw = testing::random_unit_rows(rows, p.m, 7);
  for (size_t k = 0; k < raw.size(); ++k) raw[k] *= 1.0f + float(k % 5);  // not unit: prepare normalizes
  std::vector<float> unit = raw, expected(rows * p.n);
  internal::normalize_rows(unit.data(), rows, p.m, 0);
  p.expander->forward(unit.data(), rows, expected.data());
  internal::normalize_rows(expected.data(), rows, p.n, 0);
  EXPECT_EQ(engine->prepare(raw.data(), rows), expected);
}

// The CPU backend with a counter on expand.
class ExpandCountingBackend final : public internal::BackendImpl {
 public:
  explicit ExpandCountingBackend(std::shared_ptr<int> expands) : expands_(std::move(expands)) {}
  Backend kind() const override { return cpu_->kind(); }
  std::string device_name() const override { return cpu_->device_name(); }
  void enroll(std::span<const internal::EnrollItem> items, uint32_t n, Dtype dtype, uint8_t* status) override {
    cpu_->enroll(items, n, dtype, status);
  }
  void verify(std::span<const internal::VerifyItem> items, uint32_t n, uint32_t alpha, Dtype dtype, uint8_t* match,
              detail::Codeword* matched) override {
    cpu_->verify(items, n, alpha, dtype, match, matched);
  }
  std::vector<internal::IdentifyHit> identify(std::span<const internal::GalleryItem> gallery, const float* probes,
                                              size_t probe_count, uint32_t n, uint32_t alpha, Dtype dtype) override {
    return cpu_->identify(gallery, probes, probe_count, n, alpha, dtype);
  }
  void haar(const uint8_t key[32], uint32_t n, float* q) override { cpu_->haar(key, n, q); }
  void gaussian(const uint8_t key[32], uint64_t first, size_t count, float* out) override {
    cpu_->gaussian(key, first, count, out);
  }
  void expand(const Expander& e, const float* in, size_t count, float* out) override {
    ++*expands_;
    cpu_->expand(e, in, count, out);
  }

 private:
  std::unique_ptr<internal::BackendImpl> cpu_ = internal::make_cpu_backend(EngineOptions{});
  std::shared_ptr<int> expands_;
};

TEST(ExpanderRouting, EveryEngineCallExpandsThroughTheBackend) {
  const Params p = expander_params();
  auto expands = std::make_shared<int>(0);
  Engine engine(p, std::make_unique<ExpandCountingBackend>(expands), EngineOptions{});
  const auto t = testing::random_unit_rows(3, p.m, 8);
  EnrollOptions eo;
  eo.insecure_seed = std::array<uint8_t, 32>{};
  const auto records = engine.enroll(t.data(), 3, eo);
  EXPECT_EQ(*expands, 1);
  EXPECT_EQ(engine.verify(t.data(), 3, records), std::vector<Decision>(3, Decision::Accept));
  EXPECT_EQ(*expands, 2);
  EXPECT_EQ(engine.identify(t.data(), 1, records)[0], std::vector<uint32_t>{0});
  EXPECT_EQ(*expands, 3);
  engine.prepare(t.data(), 3);
  EXPECT_EQ(*expands, 4);
}

}  // namespace
}  // namespace spheremask
