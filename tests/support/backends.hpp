// One test source, every backend: TEST_P suites instantiated with INSTANTIATE_BACKENDS(Suite) run on
// the CPU always and on CUDA when a device exists (otherwise GTEST_SKIP with the reason, or a
// failure when SPHEREMASK_REQUIRE_GPU=1). Instance names are "Cpu" and "Cuda" (CTest labels cpu/gpu).
#pragma once
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "spheremask/engine.hpp"

namespace spheremask::testing {

inline bool require_gpu() {
  const char* v = std::getenv("SPHEREMASK_REQUIRE_GPU");
  return v != nullptr && std::string(v) == "1";
}

// Call first in every test that needs the backend; returns false (after skipping) when unavailable.
#define SM_SKIP_IF_UNAVAILABLE(backend)                                                              \
  do {                                                                                               \
    if ((backend) == ::spheremask::Backend::Cuda && ::spheremask::cuda_device_count() == 0) {        \
      if (::spheremask::testing::require_gpu()) FAIL() << "SPHEREMASK_REQUIRE_GPU=1 but no CUDA device"; \
      GTEST_SKIP() << "no CUDA device (or no driver) on this machine";                               \
    }                                                                                                \
  } while (0)

class BackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { SM_SKIP_IF_UNAVAILABLE(GetParam()); }
  Backend backend() const { return GetParam(); }
};

inline std::string backend_test_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::Cuda ? "Cuda" : "Cpu";
}

#define INSTANTIATE_BACKENDS(Suite)                                                                   \
  INSTANTIATE_TEST_SUITE_P(, Suite, ::testing::Values(::spheremask::Backend::Cpu, ::spheremask::Backend::Cuda), \
                           ::spheremask::testing::backend_test_name)

}  // namespace spheremask::testing
