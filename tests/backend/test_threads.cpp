// Library code running on several threads at once, the cases ThreadSanitizer checks in CI
// (scripts/sanitize.sh tsan): one engine's worker pool, C API engines used from different threads,
// and stores read from different threads. Each test also asserts the answers, so it is a real test in
// the ordinary build too.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "spheremask/engine.hpp"
#include "spheremask/spheremask.h"
#include "spheremask/store.hpp"
#include "support/scratch_dir.hpp"
#include "support/record_setup.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

constexpr uint32_t kM = 128;  // C(128, 16): 98 bits

// Enrollment, verification and identification spread over a 4-thread pool on one engine.
TEST(ThreadSafety, EngineWorkerPoolAgreesWithOneThread) {
  const auto t = testing::random_unit_rows(8, kM, 21);
  EnrollOptions o;
  o.insecure_seed = std::array<uint8_t, 32>{9};
  EngineOptions pool;
  pool.threads = 4;
  auto many = make_engine(testing::square_params(kM, 16), Backend::Cpu, pool);
  EngineOptions single;
  single.threads = 1;
  auto one = make_engine(testing::square_params(kM, 16), Backend::Cpu, single);
  const auto records = many->enroll(t.data(), 8, o);
  const auto reference = one->enroll(t.data(), 8, o);
  ASSERT_EQ(records.size(), 8u);
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(records[i].serialize(), reference[i].serialize()) << i;
  const auto decisions = many->verify(t.data(), 8, records);
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(decisions[i], Decision::Accept) << i;
  const auto gallery = many->load_gallery(records);
  const auto matches = many->identify(t.data(), 8, *gallery);
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(matches[i], std::vector<uint32_t>{uint32_t(i)}) << i;
}

// The documented C threading rule: one engine per thread, read-only params and records shared.
TEST(ThreadSafety, CApiEnginesOnDifferentThreads) {
  sm_params* params = nullptr;
  ASSERT_EQ(sm_params_create(kM, 0, 16, SM_DTYPE_F32, 0, nullptr, &params), SM_OK) << sm_last_error();
  const auto t = testing::random_unit_rows(4, kM, 33);
  constexpr int kThreads = 3;
  std::vector<int> accepted(kThreads, -1);
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w)
    threads.emplace_back([&, w] {
      sm_engine* engine = nullptr;
      sm_records* records = nullptr;
      if (sm_engine_create(params, SM_BACKEND_CPU, 2, 0, &engine) != SM_OK || sm_records_create(&records) != SM_OK)
        return;
      uint8_t decisions[4] = {};
      if (sm_enroll(engine, t.data(), 4, records) == SM_OK &&
          sm_verify(engine, t.data(), 4, records, decisions) == SM_OK) {
        accepted[w] = 0;
        for (uint8_t d : decisions) accepted[w] += d == SM_ACCEPT;
      }
      sm_records_free(records);
      sm_engine_free(engine);
    });
  for (auto& th : threads) th.join();
  sm_params_free(params);
  for (int w = 0; w < kThreads; ++w) EXPECT_EQ(accepted[w], 4) << "thread " << w;
}

// Stores opened by several threads read one file at once; each scan parses its rows on a thread pool.
TEST(ThreadSafety, StoreReadersOnDifferentThreads) {
  testing::ScratchDir dir("threads-store");
  const std::string path = dir.file("db.sqlite");
  const auto t = testing::random_unit_rows(6, kM, 44);
  EnrollOptions o;
  o.insecure_seed = std::array<uint8_t, 32>{4};
  const auto records = make_engine(testing::square_params(kM, 16), Backend::Cpu)->enroll(t.data(), 6, o);
  Store::open(path).put(std::vector<std::string>{"a", "b", "c", "d", "e", "f"}, records);
  std::vector<size_t> seen(3, 0);
  std::vector<std::thread> threads;
  for (size_t w = 0; w < seen.size(); ++w)
    threads.emplace_back([&, w] {
      const Store store = Store::open(path, StoreMode::ReadOnly);
      if (store.check().empty()) seen[w] = store.load_gallery(RecordConfig::of(records[0])).records.size();
    });
  for (auto& th : threads) th.join();
  for (size_t w = 0; w < seen.size(); ++w) EXPECT_EQ(seen[w], 6u) << "thread " << w;
}

}  // namespace
}  // namespace spheremask
