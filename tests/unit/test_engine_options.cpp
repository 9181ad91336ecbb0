// EngineOptions carry every engine setting (the library reads no environment variables): the CUDA
// switches are validated on every backend, and the CPU backend's results do not depend on them. The C
// API sets them on sm_params with checked status codes.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "spheremask/engine.hpp"
#include "spheremask/spheremask.h"
#include "support/expect_error.hpp"
#include "support/record_setup.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

constexpr uint32_t kDim = 128;

TEST(EngineOptions, UnknownHaarChoiceIsRefusedOnEveryBackend) {
  EngineOptions o;
  o.cuda_haar = CudaHaar(3);
  EXPECT_ERROR_CODE(make_engine(testing::square_params(kDim, 16), Backend::Cpu, o), ErrorCode::InvalidArgument, "cuda_haar", "3");
  o.cuda_haar = CudaHaar(255);
  EXPECT_ERROR_CODE(make_engine(testing::square_params(kDim, 16), Backend::Auto, o), ErrorCode::InvalidArgument, "cuda_haar");
}

// The CUDA switches leave the CPU backend's records, decisions and galleries exactly as without them,
// even a gallery cap far below one record.
TEST(EngineOptions, CudaSwitchesDoNotChangeTheCpuBackend) {
  EngineOptions plain, switched;
  switched.cuda_haar = CudaHaar::Orgqr;
  switched.gallery_cap_bytes = 1;
  auto a = make_engine(testing::square_params(kDim, 16), Backend::Cpu, plain);
  auto b = make_engine(testing::square_params(kDim, 16), Backend::Cpu, switched);
  const auto t = testing::random_unit_rows(4, kDim, 17);
  EnrollOptions eo;
  eo.insecure_seed = std::array<uint8_t, 32>{9};
  const auto ra = a->enroll(t.data(), 4, eo);
  const auto rb = b->enroll(t.data(), 4, eo);
  ASSERT_EQ(ra.size(), rb.size());
  for (size_t i = 0; i < ra.size(); ++i) EXPECT_EQ(ra[i].serialize(), rb[i].serialize()) << "record " << i;
  const auto gallery = b->load_gallery(rb);
  const auto hits = b->identify(t.data(), 4, *gallery);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(hits[i], std::vector<uint32_t>{i});
}

TEST(EngineOptions, CApiSettersAreChecked) {
  sm_params* params = nullptr;
  ASSERT_EQ(sm_params_create(kDim, 0, 16, SM_DTYPE_F32, 0, nullptr, &params), SM_OK) << sm_last_error();
  EXPECT_EQ(sm_params_set_cuda_haar(params, 3), SM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(sm_last_error()).find("haar"), std::string::npos) << sm_last_error();
  EXPECT_EQ(sm_params_set_cuda_haar(params, -1), SM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(sm_params_set_cuda_haar(nullptr, SM_CUDA_HAAR_WY), SM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(sm_params_set_gallery_cap_bytes(nullptr, 1), SM_ERR_INVALID_ARGUMENT);
  for (int haar : {SM_CUDA_HAAR_AUTO, SM_CUDA_HAAR_ORGQR, SM_CUDA_HAAR_WY})
    EXPECT_EQ(sm_params_set_cuda_haar(params, haar), SM_OK) << sm_last_error();
  EXPECT_EQ(sm_params_set_gallery_cap_bytes(params, uint64_t(64) << 20), SM_OK) << sm_last_error();
  sm_engine* engine = nullptr;
  EXPECT_EQ(sm_engine_create(params, SM_BACKEND_CPU, 1, 0, &engine), SM_OK) << sm_last_error();
  EXPECT_EQ(sm_engine_backend(engine), SM_BACKEND_CPU);
  sm_engine_free(engine);
  sm_params_free(params);
}

}  // namespace
}  // namespace spheremask
