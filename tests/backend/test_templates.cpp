// Template validation (DESIGN §3 "Normalization"): non-finite and zero rows are rejected by every engine
// entry point with the row named, also across batches; scale does not matter.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "support/backends.hpp"
#include "spheremask/error.hpp"
#include "engine/template_prep.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using namespace spheremask::testing;

class TemplateTest : public BackendTest {
 protected:
  std::unique_ptr<Engine> engine(size_t batch = 0) {
    Params p;
    p.m = p.n = 128;
    p.alpha = 16;
    EngineOptions o;
    o.batch_size = batch;
    return make_engine(p, backend(), o);
  }
};

void expect_row_error(const std::function<void()>& f, size_t row, const char* what) {
  try {
    f();
    ADD_FAILURE() << what << ": no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << what << ": " << e.what();
    const std::string msg = e.what();
    EXPECT_NE(msg.find("row " + std::to_string(row)), std::string::npos) << what << ": " << msg;
    // "row 3" must not be satisfied by "row 31" etc.: the character after the number is not a digit.
    const auto at = msg.find("row " + std::to_string(row));
    if (at != std::string::npos) {
      const size_t after = at + 4 + std::to_string(row).size();
      EXPECT_TRUE(after == msg.size() || !std::isdigit(static_cast<unsigned char>(msg[after]))) << msg;
    }
  }
}

TEST_P(TemplateTest, BadRowsAreNamedByEveryEntryPoint) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  for (size_t batch : {size_t(0), size_t(2)}) {  // batch 2: row 3 lives in the second batch
    auto e = engine(batch);
    const size_t count = 6;
    const auto good = random_unit_rows(count, 128, 1);
    const auto recs = e->enroll(good.data(), count);
    struct Bad { const char* name; std::function<void(std::vector<float>&)> make; };
    const std::vector<Bad> bads = {
        {"NaN", [&](auto& t) { t[3 * 128 + 17] = nan; }},
        {"+Inf", [&](auto& t) { t[3 * 128 + 0] = inf; }},
        {"-Inf", [&](auto& t) { t[3 * 128 + 127] = -inf; }},
        {"zero", [&](auto& t) { std::fill(t.begin() + 3 * 128, t.begin() + 4 * 128, 0.0f); }},
        {"negative zero", [&](auto& t) { std::fill(t.begin() + 3 * 128, t.begin() + 4 * 128, -0.0f); }},
    };
    for (const auto& b : bads) {
      auto t = good;
      b.make(t);
      const std::string what = std::string(b.name) + " batch " + std::to_string(batch);
      expect_row_error([&] { e->enroll(t.data(), count); }, 3, (what + " enroll").c_str());
      expect_row_error([&] { e->verify(t.data(), count, recs); }, 3, (what + " verify").c_str());
      expect_row_error([&] { e->verify_and_derive(t.data(), count, recs, "c"); }, 3, (what + " derive").c_str());
      expect_row_error([&] { e->identify(t.data(), count, recs); }, 3, (what + " identify").c_str());
      expect_row_error([&] { e->prepare(t.data(), count); }, 3, (what + " prepare").c_str());
    }
    // Row 0 is named as such too.
    auto t = good;
    t[5] = nan;
    expect_row_error([&] { e->enroll(t.data(), count); }, 0, "row 0");
  }
}

// Templates are compared by angle: scaling a probe (even to tiny or huge magnitudes) changes nothing.
TEST_P(TemplateTest, ScaleInvariance) {
  auto e = engine();
  const auto t = random_unit_rows(3, 128, 2);
  const auto recs = e->enroll(t.data(), 3);
  for (float s : {1e-30f, 1e-3f, 7.0f, 1e30f}) {
    auto scaled = t;
    for (auto& x : scaled) x *= s;
    for (auto d : e->verify(scaled.data(), 3, recs)) EXPECT_EQ(d, Decision::Accept) << "scale " << s;
  }
  // prepare() returns unit rows.
  auto big = t;
  for (auto& x : big) x *= 1000.0f;
  const auto u = e->prepare(big.data(), 3);
  for (size_t i = 0; i < 3; ++i) {
    double s = 0;
    for (size_t j = 0; j < 128; ++j) s += double(u[i * 128 + j]) * u[i * 128 + j];
    EXPECT_NEAR(s, 1.0, 1e-6);
  }
}

TEST_P(TemplateTest, NullAndEmptyInputs) {
  auto e = engine();
  EXPECT_TRUE(e->enroll(nullptr, 0).empty());
  EXPECT_TRUE(e->verify(nullptr, 0, {}).empty());
  try {
    e->enroll(nullptr, 1);
    ADD_FAILURE() << "null templates accepted";
  } catch (const Error& ex) {
    EXPECT_EQ(ex.code(), ErrorCode::InvalidArgument);
  }
}

INSTANTIATE_BACKENDS(TemplateTest);

// The shared normalization names rows with the caller's offset.
TEST(NormalizeRows, NamesRowWithOffset) {
  std::vector<float> rows(4 * 8, 1.0f);
  rows[2 * 8 + 1] = std::numeric_limits<float>::quiet_NaN();
  expect_row_error([&] { internal::normalize_rows(rows.data(), 4, 8, 1000); }, 1002, "offset");
}

// A row whose squared norm overflows float but not double normalizes fine (values near FLT_MAX).
TEST(NormalizeRows, LargeFiniteValuesNormalize) {
  std::vector<float> row(8, std::numeric_limits<float>::max());
  internal::normalize_rows(row.data(), 1, 8, 0);
  for (float x : row) EXPECT_NEAR(x, 1.0 / std::sqrt(8.0), 1e-6);
}

}  // namespace
}  // namespace spheremask
