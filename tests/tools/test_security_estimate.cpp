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

// List decoding adds the cap of its angle to the plain decoder's region (the bound is the union's) and leaves the code
// bits alone; an online attempt loses log2(candidates). The widest angle keeps bits + 1 from its cap alone.
TEST(SecurityEstimate, ListDecodingAddsItsCapAndCostsOnlineBits) {
  EstimateOptions o;
  o.trials = 2000;
  const auto plain = estimate(128, 128, 26, nullptr, o);
  o.list = {32.0, 4096};
  const auto listed = estimate(128, 128, 26, nullptr, o);
  EXPECT_DOUBLE_EQ(listed.code_bits, plain.code_bits);
  const double cap32 = -log2_cap_fraction(128, 32.0);
  EXPECT_LT(listed.cap_bits, std::min(plain.cap_bits, cap32));          // a union is larger than either part
  EXPECT_GT(listed.cap_bits, std::min(plain.cap_bits, cap32) - 1.0);    // and at most twice the larger
  EXPECT_NEAR(listed.online_bits, plain.code_bits - 12.0, 1e-9);
  EXPECT_DOUBLE_EQ(plain.online_bits, plain.code_bits);
  EXPECT_EQ(listed.list_max, 4096u);
  o.list.max_angle_deg = 40.0;  // wide enough that the cap rules: the effective bits fall under the code's
  const auto wide = estimate(128, 128, 26, nullptr, o);
  EXPECT_LT(wide.effective_bits, 112.0);
  EXPECT_DOUBLE_EQ(wide.effective_bits, wide.cap_bits);
  const double widest = widest_list_angle(128, 112);
  EXPECT_GT(widest, 30.0);
  EXPECT_LT(widest, 36.0);
  EXPECT_GE(-log2_cap_fraction(128, widest), 113.0);
  EXPECT_LT(-log2_cap_fraction(128, widest + 0.02), 113.0);
  EXPECT_EQ(widest_list_angle(8, 112), 0.0);  // no cap of 8 dimensions holds 113 bits
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
