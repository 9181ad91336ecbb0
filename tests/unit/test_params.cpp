// Parameters (DESIGN §3): the security estimate, the paper's codes, and the configurations the engine
// must refuse; backend selection.
#include <gtest/gtest.h>

#include <cmath>
#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "spheremask/engine.hpp"
#include "spheremask/error.hpp"
#include "support/expect_error.hpp"
#include "spheremask/params.hpp"

namespace spheremask {
namespace {

using testing::error_code_of;

TEST(Params, CodeBitsAndMinimumAngle) {
  EXPECT_NEAR(code_bits(512, 16), 115.408, 0.001);
  EXPECT_NEAR(min_angle_deg(16), 20.364, 0.001);
  // The paper's codes (DESIGN §1): C(4096,10) = 108 bits, C(8192,10) = 118 bits.
  EXPECT_NEAR(code_bits(4096, 10), 108.0, 0.5);
  EXPECT_NEAR(code_bits(8192, 10), 118.0, 0.5);
  // Exact small cases: C(4,2)·2² = 24, C(10,1)·2 = 20.
  EXPECT_NEAR(code_bits(4, 2), std::log2(24.0), 1e-9);
  EXPECT_NEAR(code_bits(10, 1), std::log2(20.0), 1e-9);
  EXPECT_NEAR(min_angle_deg(1), 90.0, 1e-9);
  EXPECT_NEAR(min_angle_deg(2), 60.0, 1e-9);
  // Monotone in n for fixed α.
  EXPECT_LT(code_bits(512, 16), code_bits(1024, 16));
}

// Record parsing calls code_bits from several threads; it must not touch global state (std::lgamma
// writes `signgam`, a race ThreadSanitizer reports). Each thread must also get the exact answer.
TEST(Params, CodeBitsIsSafeFromSeveralThreads) {
  const double expected = code_bits(512, 16);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i)
        if (code_bits(512, 16) != expected) ++wrong;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(Params, DefaultsAreTheOriginalIronMask) {
  const Params p;
  EXPECT_EQ(p.m, 512u);
  EXPECT_EQ(p.n, 512u);
  EXPECT_EQ(p.alpha, 16u);
  EXPECT_EQ(p.dtype, Dtype::F32);
  EXPECT_FALSE(p.allow_weak);
  EXPECT_NO_THROW(validate(p));
}

TEST(Params, WeakCodesNeedAllowWeak) {
  Params p;
  p.m = p.n = 64;
  p.alpha = 8;  // 40 bits
  EXPECT_EQ(error_code_of([&] { validate(p); }), ErrorCode::WeakParameters);
  EXPECT_EQ(error_code_of([&] { make_engine(p, Backend::Cpu); }), ErrorCode::WeakParameters);
  p.allow_weak = true;
  EXPECT_NO_THROW(validate(p));
  // The 80-bit edge: C(128, 16) is 82.3 bits, C(128, 15) is 78.6.
  Params q;
  q.m = q.n = 128;
  q.alpha = 16;
  EXPECT_NO_THROW(validate(q));
  q.alpha = 15;
  EXPECT_EQ(error_code_of([&] { validate(q); }), ErrorCode::WeakParameters);
}

TEST(Params, InvalidConfigurationsAreRejected) {
  auto bad = [](uint32_t m, uint32_t n, uint32_t alpha) {
    Params p;
    p.m = m;
    p.n = n;
    p.alpha = alpha;
    p.allow_weak = true;
    return error_code_of([&] { validate(p); });
  };
  EXPECT_EQ(bad(512, 1024, 16), ErrorCode::InvalidArgument) << "n != m without an expander";
  EXPECT_EQ(bad(1024, 512, 16), ErrorCode::InvalidArgument) << "n != m without an expander";
  EXPECT_EQ(bad(512, 512, 0), ErrorCode::InvalidArgument) << "alpha 0";
  EXPECT_EQ(bad(512, 512, 65), ErrorCode::InvalidArgument) << "alpha > 64";
  EXPECT_EQ(bad(8, 8, 8), ErrorCode::InvalidArgument) << "alpha = n";
  EXPECT_EQ(bad(1, 1, 1), ErrorCode::InvalidArgument) << "n < 2";
  EXPECT_EQ(bad(16385, 16385, 16), ErrorCode::InvalidArgument) << "n > 16384";
  EXPECT_EQ(bad(2, 2, 1), ErrorCode(0)) << "smallest legal code (weak allowed)";
  Params p;
  p.dtype = Dtype(7);
  EXPECT_EQ(error_code_of([&] { validate(p); }), ErrorCode::InvalidArgument) << "unknown dtype";
  p = Params{};
  p.m = 128;
  EXPECT_EQ(error_code_of([&] { make_engine(p, Backend::Cpu); }), ErrorCode::InvalidArgument);
}

TEST(Params, BackendNamesAndSelection) {
  EXPECT_EQ(parse_backend("cpu"), Backend::Cpu);
  EXPECT_EQ(parse_backend("cuda"), Backend::Cuda);
  EXPECT_EQ(parse_backend("auto"), Backend::Auto);
  EXPECT_EQ(error_code_of([] { parse_backend("gpu"); }), ErrorCode::InvalidArgument);
  EXPECT_STREQ(backend_name(Backend::Cpu), "cpu");
  EXPECT_STREQ(backend_name(Backend::Cuda), "cuda");
  Params p;
  p.m = p.n = 128;
  auto e = make_engine(p, Backend::Auto);
  EXPECT_EQ(e->backend(), cuda_device_count() > 0 ? Backend::Cuda : Backend::Cpu);
  EXPECT_EQ(make_engine(p, Backend::Cpu)->backend(), Backend::Cpu);
  EXPECT_FALSE(make_engine(p, Backend::Cpu)->device_name().empty());
  if (cuda_device_count() == 0)
    EXPECT_EQ(error_code_of([&] { make_engine(p, Backend::Cuda); }), ErrorCode::Unavailable) << "no device: a clear error";
}

}  // namespace
}  // namespace spheremask
