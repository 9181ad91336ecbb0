// The command line still reads the CUDA switches from the environment and passes them to the engine as
// EngineOptions: a bad value fails before anything is written (exit 2, one line naming the variable),
// a good one is accepted on every backend.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/scoped_env.hpp"
#include "support/test_store_util.hpp"

namespace spheremask {
namespace {

namespace fs = std::filesystem;
using testing::CliResult;
using testing::ScopedEnv;
using testing::ScratchDir;

class CliCudaEnvironment : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(SPHEREMASK_CLI_PATH)) GTEST_SKIP() << "CLI not built: " << SPHEREMASK_CLI_PATH;
    const auto rows = testing::random_unit_rows(3, 128, 11);
    write_npy_f32(dir_.file("t.npy"), rows.data(), 3, 128);
  }
  CliResult enroll(const std::string& out) {
    return testing::run_cli(dir_, {"enroll", "--templates", dir_.file("t.npy"), "--out", dir_.file(out), "--backend",
                                   "cpu", "--threads", "1"});
  }
  void expect_refused(const char* variable, const char* value, const std::string& out) {
    ScopedEnv env(variable, value);
    const CliResult r = enroll(out);
    EXPECT_EQ(r.exit_code, 2) << variable << "=" << value << ": " << r.err;
    EXPECT_NE(r.err.find(std::string(variable) + "=" + value), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("(invalid argument)"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_FALSE(fs::exists(dir_.file(out))) << variable << "=" << value << " wrote records";
  }
  ScratchDir dir_{"cli-cuda-env"};
};

TEST_F(CliCudaEnvironment, BadValuesAreRefusedBeforeAnythingIsWritten) {
  for (const char* v : {"qr", "WY", " wy"}) expect_refused("SPHEREMASK_CUDA_HAAR", v, "haar");
  for (const char* v : {"3M", "-1", "0", "x", "1.5", "99999999999999999999999"})
    expect_refused("SPHEREMASK_CUDA_GALLERY_CAP_MIB", v, "cap");
}

TEST_F(CliCudaEnvironment, GoodValuesAreAccepted) {
  ScopedEnv haar("SPHEREMASK_CUDA_HAAR", "orgqr");
  ScopedEnv cap("SPHEREMASK_CUDA_GALLERY_CAP_MIB", "1");
  const CliResult r = enroll("ok");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir_.file("ok")));
  ScopedEnv empty("SPHEREMASK_CUDA_HAAR", "");  // empty = unset
  EXPECT_EQ(enroll("ok-empty").exit_code, 0);
}

}  // namespace
}  // namespace spheremask
