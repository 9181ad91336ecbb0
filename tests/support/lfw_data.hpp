// The optional LFW set (OpenFace 128-d embeddings of real faces) from ../shared/data: its paths, and a
// loader the tests skip on when the files are absent (the project must not depend on them; they are
// never copied into the repository).
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tools/eval.hpp"
#include "tools/npy.hpp"

namespace spheremask::testing {

struct LfwData {
  NpyMatrix x;                      // rows × 128 float32, rows of one identity adjacent
  std::vector<std::string> labels;  // labels[i]: the identity of row i
};

inline std::string lfw_dir() { return SPHEREMASK_SHARED_DATA_DIR; }
inline std::string lfw_npy_path() { return lfw_dir() + "/lfw_openface128.npy"; }
inline std::string lfw_labels_path() { return lfw_dir() + "/lfw_openface128.labels.txt"; }

// nullopt when either file is absent.
inline std::optional<LfwData> load_lfw() {
  if (!std::filesystem::exists(lfw_npy_path()) || !std::filesystem::exists(lfw_labels_path())) return std::nullopt;
  return LfwData{NpyMatrix::open(lfw_npy_path()), eval::read_labels(lfw_labels_path())};
}

}  // namespace spheremask::testing

// Declares `LfwData& var` in a test body, or skips the test when the set is absent; a set whose labels
// do not match its rows fails the test.
#define SPHEREMASK_LOAD_LFW_OR_SKIP(var)                                                                    \
  auto var##_loaded_ = ::spheremask::testing::load_lfw();                                                \
  if (!var##_loaded_) GTEST_SKIP() << "shared data not present (" << ::spheremask::testing::lfw_dir() << ")"; \
  auto& var = *var##_loaded_;                                                                                \
  ASSERT_EQ(var.labels.size(), var.x.rows())
