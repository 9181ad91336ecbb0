// The command line still reads the CUDA switches from the environment and passes them to the engine as
// EngineOptions: a bad value fails before anything is written (exit 2, one line naming the variable),
// a good one is accepted on every backend.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/run_cli.hpp"
#include "support/test_store_util.hpp"

namespace spheremask {
namespace {

namespace fs = std::filesystem;
using testing::CliOptions;
using testing::CliResult;
using testing::ScratchDir;

class CliCudaEnvironment : public ::testing::Test {
 protected:
  void SetUp() override {
    SPHEREMASK_SKIP_WITHOUT_CLI();
    const auto rows = testing::random_unit_rows(3, 128, 11);
    write_npy_f32(dir_.file("t.npy"), rows.data(), 3, 128);
  }
  CliResult enroll(const std::string& out, const CliOptions& env) {
    return testing::run_cli({"enroll", "--templates", dir_.file("t.npy"), "--out", dir_.file(out), "--backend", "cpu",
                             "--threads", "1"},
                            env);
  }
  static CliOptions with(std::vector<std::pair<std::string, std::optional<std::string>>> vars) {
    CliOptions o;
    o.env = std::move(vars);
    return o;
  }
  void expect_refused(const char* variable, const char* value, const std::string& out) {
    const CliResult r = enroll(out, with({{variable, value}}));
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
  for (const char* v : {"gpu", "HOST"}) expect_refused("SPHEREMASK_CUDA_CHUNK_HASH", v, "chunk");
  for (const char* v : {"3M", "-1", "0", "x", "1.5", "99999999999999999999999"})
    expect_refused("SPHEREMASK_CUDA_GALLERY_CAP_MIB", v, "cap");
}

TEST_F(CliCudaEnvironment, GoodValuesAreAccepted) {
  const CliResult r = enroll("ok", with({{"SPHEREMASK_CUDA_HAAR", "orgqr"},
                                         {"SPHEREMASK_CUDA_GALLERY_CAP_MIB", "1"},
                                         {"SPHEREMASK_CUDA_CHUNK_HASH", "host"}}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir_.file("ok")));
  EXPECT_EQ(enroll("ok-empty", with({{"SPHEREMASK_CUDA_HAAR", ""}})).exit_code, 0);  // empty = unset
}

}  // namespace
}  // namespace spheremask
