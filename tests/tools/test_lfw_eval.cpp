// Optional evaluation on real face embeddings (LFW, OpenFace 128-d) from ../shared/data; skipped when the
// folder is absent (the project must not depend on it). Genuine pairs (two images of one person) must be
// accepted far more often than impostor pairs (different people).
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "support/backends.hpp"
#include "support/lfw_data.hpp"

namespace spheremask {
namespace {

using namespace spheremask::testing;

class LfwEvalTest : public BackendTest {};

TEST_P(LfwEvalTest, GenuineAcceptanceFarAboveImpostor) {
  SPHEREMASK_LOAD_LFW_OR_SKIP(lfw);
  const auto& x = lfw.x;
  const auto& labels = lfw.labels;
  ASSERT_EQ(x.cols(), 128u);

  // First two images of each person with at least two: enroll the first, probe with the second.
  const size_t max_people = 800;
  std::vector<float> enroll, genuine;
  for (size_t i = 0; i + 1 < x.rows() && enroll.size() / 128 < max_people; ++i) {
    if (labels[i] != labels[i + 1] || (i > 0 && labels[i - 1] == labels[i])) continue;
    enroll.insert(enroll.end(), x.row(i), x.row(i) + 128);
    genuine.insert(genuine.end(), x.row(i + 1), x.row(i + 1) + 128);
  }
  const size_t count = enroll.size() / 128;
  ASSERT_GE(count, 500u);

  // n = m = 128 with α = 16: 82.3 bits (the largest α keeps the minimum angle small: 20.4°).
  Params p;
  p.m = p.n = 128;
  p.alpha = 16;
  auto e = make_engine(p, backend());
  EnrollOptions eo;
  eo.insecure_seed = std::array<uint8_t, 32>{};
  const auto recs = e->enroll(enroll.data(), count, eo);
  // Impostors: person i's probe against person (i + 1)'s record (all different people).
  std::vector<Record> shifted(recs.begin() + 1, recs.end());
  shifted.push_back(recs[0]);
  size_t ga = 0, ia = 0;
  for (auto d : e->verify(genuine.data(), count, recs)) ga += d == Decision::Accept;
  for (auto d : e->verify(genuine.data(), count, shifted)) ia += d == Decision::Accept;
  const double gar = double(ga) / count, far = double(ia) / count;
  RecordProperty("genuine_accept", std::to_string(ga) + "/" + std::to_string(count));
  RecordProperty("impostor_accept", std::to_string(ia) + "/" + std::to_string(count));
  std::cout << "[ lfw      ] n=128 alpha=16: genuine " << ga << "/" << count << ", impostor " << ia << "/" << count
            << "\n";
  // Genuine angles average ~41° (±11), impostors ~84° (±14): at n = 128, α = 16 the protected scheme
  // keeps a large share of genuine pairs while impostors essentially never pass.
  EXPECT_GT(gar, 0.1);
  EXPECT_LT(far, 0.01);
  EXPECT_GT(gar, 20 * std::max(far, 1.0 / count));
}

INSTANTIATE_BACKENDS(LfwEvalTest);

}  // namespace
}  // namespace spheremask
