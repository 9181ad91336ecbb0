// normalize_rows on several threads (large batches, as in resident verification): the same bytes as
// on one thread, and the error of the lowest bad row whichever thread met it first.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/template_prep.hpp"
#include "spheremask/error.hpp"

namespace spheremask {
namespace {

std::vector<float> gaussian_rows(size_t rows, uint32_t dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(rows * dim);
  for (auto& x : v) x = normal(rng);
  return v;
}

TEST(NormalizeRowsThreads, SameBytesAsOneThread) {
  constexpr size_t kRows = 1024;  // 1024 × 512: enough elements for 8 threads
  constexpr uint32_t kDim = 512;
  const auto rows = gaussian_rows(kRows, kDim, 1);
  auto one = rows, many = rows;
  internal::normalize_rows(one.data(), kRows, kDim, 0, 1);
  internal::normalize_rows(many.data(), kRows, kDim, 0, 8);
  EXPECT_EQ(one, many);
  double norm2 = 0;
  for (uint32_t j = 0; j < kDim; ++j) norm2 += double(many[5 * kDim + j]) * many[5 * kDim + j];
  EXPECT_NEAR(norm2, 1.0, 1e-5);
}

TEST(NormalizeRowsThreads, ReportsTheLowestBadRow) {
  constexpr size_t kRows = 1024;
  constexpr uint32_t kDim = 512;
  auto rows = gaussian_rows(kRows, kDim, 2);
  // Bad rows in the last thread's share and in a middle one: the middle one (row 700) is reported.
  rows[1000 * kDim + 3] = std::numeric_limits<float>::quiet_NaN();
  for (uint32_t j = 0; j < kDim; ++j) rows[700 * kDim + j] = 0.0f;
  try {
    internal::normalize_rows(rows.data(), kRows, kDim, 5000, 8);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("template row 5700 is the zero vector"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace spheremask
