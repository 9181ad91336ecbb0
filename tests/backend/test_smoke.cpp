// End-to-end smoke test on every backend: enroll, genuine accepted, impostor rejected.
#include <random>

#include "support/backends.hpp"
#include "spheremask/error.hpp"

namespace spheremask {
namespace {

using testing::BackendTest;

TEST_P(BackendTest, EnrollThenVerifyGenuineAndImpostor) {
  Params p;
  p.m = p.n = 128;
  p.alpha = 16;
  auto engine = make_engine(p, backend());
  std::mt19937 rng(1);  // non-secret test data
  std::normal_distribution<float> g;
  std::vector<float> t(4 * 128);
  for (auto& x : t) x = g(rng);
  const auto records = engine->enroll(t.data(), 4);
  ASSERT_EQ(records.size(), 4u);
  const auto genuine = engine->verify(t.data(), 4, records);
  for (auto d : genuine) EXPECT_EQ(d, Decision::Accept);
  std::vector<float> other(4 * 128);
  for (auto& x : other) x = g(rng);
  const auto impostor = engine->verify(other.data(), 4, records);
  for (auto d : impostor) EXPECT_EQ(d, Decision::Reject);
}

INSTANTIATE_BACKENDS(BackendTest);

}  // namespace
}  // namespace spheremask
