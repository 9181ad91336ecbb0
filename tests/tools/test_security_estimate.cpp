// Acceptance-cliff angle θ50, spherical-cap bound and effective bits.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "tools/security_estimate.hpp"
#include "spheremask/expander_file.hpp"

namespace spheremask::security {
namespace {

constexpr double kPi = 3.14159265358979323846;

TEST(SecurityEstimate, Theta50OfTheOriginalIronMask) {
  EXPECT_NEAR(theta50_code_deg(512, 16), 48.5, 1.0);  // DESIGN §1: ~87% at 45°, ~35% at 50°
  const auto crit = critical_angles(512, 16, 10000, 1);
  EXPECT_GT(accept_probability(crit, 40), 0.97);
  EXPECT_NEAR(accept_probability(crit, 45), 0.87, 0.05);
  EXPECT_NEAR(accept_probability(crit, 50), 0.35, 0.06);
  EXPECT_LT(accept_probability(crit, 60), 0.01);
  EXPECT_EQ(critical_angles(512, 16, 100, 7), critical_angles(512, 16, 100, 7));
}

TEST(SecurityEstimate, CapFractionMatchesClosedForms) {
  for (double deg : {10.0, 60.0, 90.0, 135.0}) {
    const double th = deg * kPi / 180;
    EXPECT_NEAR(std::exp2(log2_cap_fraction(3, deg)), (1 - std::cos(th)) / 2, 1e-9) << deg;  // S²: area ∝ 1 − cosθ
    EXPECT_NEAR(std::exp2(log2_cap_fraction(2, deg)), th / kPi, 1e-9) << deg;                 // circle: arc θ/π
  }
  EXPECT_NEAR(log2_cap_fraction(512, 90), -1.0, 1e-12);
  // Tiny caps stay finite in log space.
  EXPECT_GT(-log2_cap_fraction(512, 30), 300);
  EXPECT_TRUE(std::isfinite(log2_cap_fraction(8192, 5)));
}

TEST(SecurityEstimate, IsometricExpansionTo4096LeavesFewEffectiveBits) {
  // Issue 4: 4096/α=10 accepts up to about 76°, leaving roughly 26 effective bits from m=512.
  const auto e = estimate(512, 4096, 10, nullptr);
  EXPECT_NEAR(e.code_bits, 108.2, 0.2);
  EXPECT_NEAR(e.theta50_code_deg, 75.5, 1.5);
  EXPECT_NEAR(e.effective_bits, 27, 4);
  const auto orig = estimate(512, 512, 16, nullptr);
  EXPECT_DOUBLE_EQ(orig.effective_bits, orig.code_bits);  // the cap bound is far above 115 bits
}

// An exactly isometric "expander" (identity, m = n) gives the same θ50 in input and code space;
// a contracting one widens the accepted input region.
class Identity final : public Expander {
 public:
  explicit Identity(uint32_t n) : n_(n) {}
  uint32_t input_dim() const override { return n_; }
  uint32_t output_dim() const override { return n_; }
  const std::array<uint8_t, 32>& id() const override { return id_; }
  void forward(const float* in, size_t count, float* out) const override { std::memcpy(out, in, count * n_ * 4); }

 private:
  uint32_t n_;
  std::array<uint8_t, 32> id_{};
};

TEST(SecurityEstimate, InputAnglesThroughAnExpander) {
  EstimateOptions o;
  o.trials = 4000;
  o.expander_pairs = 100;
  const Identity id(256);
  const auto iso = estimate(256, 256, 12, &id, o);
  EXPECT_NEAR(iso.theta50_input_deg, iso.theta50_code_deg, 0.5);
  std::array<uint8_t, 32> seed{};
  const auto te = make_expander(init_expander(128, 256, seed));
  const auto contracted = estimate(128, 256, 12, te.get(), o);
  EXPECT_GT(contracted.theta50_input_deg, contracted.theta50_code_deg + 2);
  EXPECT_LT(contracted.cap_bits, -log2_cap_fraction(128, contracted.theta50_code_deg));
}

TEST(SecurityEstimate, RecommendKeepsTheBitsAndWidensTheAngle) {
  EstimateOptions o;
  o.trials = 2000;
  const auto r = recommend(512, 80, nullptr, o);
  ASSERT_TRUE(r.has_value());
  EXPECT_GE(r->effective_bits, 80);
  EXPECT_GT(r->theta50_input_deg, theta50_code_deg(512, 16, o));
}

}  // namespace
}  // namespace spheremask::security
