// Resident galleries (Engine::load_gallery): the same answers as the per-call paths, and a tampered
// record stays tampered on every call although each record's MAC outcome is remembered.
#include <gtest/gtest.h>

#include "support/backends.hpp"
#include "support/expect_error.hpp"
#include "spheremask/error.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using testing::BackendTest;

class GalleryTest : public BackendTest {};

TEST_P(GalleryTest, ResidentVerifyAndIdentifyMatchPerCallPaths) {
  Params p;
  p.m = p.n = 128;
  auto engine = make_engine(p, backend());
  const size_t k = 12;
  const auto t = testing::random_unit_rows(k, 128, 11);
  std::vector<Record> records = engine->enroll(t.data(), k);
  // Record 5's P is altered and its checksum would be recomputed by a store: verifier still matches.
  records[5].p[40] ^= 0x01;
  records[5].update_digests();
  const auto per_call = engine->verify(t.data(), k, records);
  const auto per_call_ids = engine->identify(t.data(), k, records);
  auto gallery = engine->load_gallery(records);
  std::vector<uint32_t> index(k);
  for (uint32_t i = 0; i < k; ++i) index[i] = i;
  for (int round = 0; round < 3; ++round) {  // later rounds use the remembered MAC outcomes
    EXPECT_EQ(engine->verify(t.data(), k, *gallery, index), per_call) << "round " << round;
    EXPECT_EQ(engine->identify(t.data(), k, *gallery), per_call_ids) << "round " << round;
  }
  EXPECT_EQ(per_call[5], Decision::Tampered);
  EXPECT_TRUE(per_call_ids[5].empty());
  for (size_t i = 0; i < k; ++i)
    if (i != 5) {
      EXPECT_EQ(per_call[i], Decision::Accept) << i;
      EXPECT_EQ(per_call_ids[i], std::vector<uint32_t>{uint32_t(i)}) << i;
    }
}

TEST_P(GalleryTest, RejectsForeignGalleryAndBadIndex) {
  Params p;
  p.m = p.n = 128;
  auto a = make_engine(p, backend());
  auto b = make_engine(p, backend());
  const auto t = testing::random_unit_rows(2, 128, 3);
  auto gallery = a->load_gallery(a->enroll(t.data(), 2));
  const std::vector<uint32_t> index = {0, 1};
  EXPECT_ERROR_CODE(b->verify(t.data(), 2, *gallery, index), ErrorCode::InvalidArgument, "another engine");
  EXPECT_ERROR_CODE(b->identify(t.data(), 2, *gallery), ErrorCode::InvalidArgument, "another engine");
  const std::vector<uint32_t> bad = {0, 2};
  EXPECT_ERROR_CODE(a->verify(t.data(), 2, *gallery, bad), ErrorCode::InvalidArgument);
}

// A gallery outlives its engine; a new engine — possibly built at the freed engine's address, which
// a raw-address check could not tell apart — must refuse it rather than use its stale backend state.
TEST_P(GalleryTest, GalleryOfADestroyedEngineIsRefused) {
  Params p;
  p.m = p.n = 128;
  const auto t = testing::random_unit_rows(2, 128, 5);
  auto first = make_engine(p, backend());
  auto gallery = first->load_gallery(first->enroll(t.data(), 2));
  const void* old_address = first.get();
  first.reset();
  std::vector<std::unique_ptr<Engine>> later;  // several tries make reuse of the address likely
  for (int i = 0; i < 4; ++i) later.push_back(make_engine(p, backend()));
  bool reused = false;
  for (const auto& e : later) {
    reused = reused || e.get() == old_address;
    EXPECT_ERROR_CODE(e->identify(t.data(), 2, *gallery), ErrorCode::InvalidArgument, "destroyed");
  }
  RecordProperty("engine_address_reused", reused ? "yes" : "no");
}

INSTANTIATE_BACKENDS(GalleryTest);

}  // namespace
}  // namespace spheremask
