// Helpers of the store tests: test ids, and interrupting a CLI enrollment into a store and resuming it.
#pragma once
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "spheremask/error.hpp"
#include "spheremask/store.hpp"
#include "support/run_cli.hpp"
#include "support/scratch_dir.hpp"
#include "tools/npy.hpp"
#include "test_util.hpp"

namespace spheremask::testing {

inline std::string numbered_ids(size_t count, const std::string& prefix = "subject-") {
  std::string text;
  for (size_t i = 0; i < count; ++i) text += prefix + std::to_string(i) + "\n";
  return text;
}

// Polls the store until at least one batch is committed (the child may not have created it yet).
// Returns the count seen, SIZE_MAX when the child finished before (too little work to kill it mid-way),
// 0 after a minute without a commit.
inline size_t wait_for_first_commit(const std::string& path, pid_t child) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(child, &status, WNOHANG) == child) return SIZE_MAX;
    try {
      const size_t n = Store::open(path, StoreMode::ReadOnly).count();
      if (n > 0) return n;
    } catch (const Error&) {
      // not created yet
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return 0;
}

// Starts the CLI with args and kills it (SIGKILL) once the store at db_path holds a committed batch;
// *seen: the count it saw then. Call under ASSERT_NO_FATAL_FAILURE.
inline void kill_after_first_commit(const ScratchDir& dir, const std::vector<std::string>& args,
                                    const std::string& db_path, size_t* seen) {
  const pid_t child = spawn_cli(args, dir.file("child.out"), dir.file("child.err"));
  *seen = wait_for_first_commit(db_path, child);
  ASSERT_NE(*seen, SIZE_MAX) << "the enrollment finished before it could be killed; make it longer";
  ASSERT_GT(*seen, 0u) << read_text(dir.file("child.err"));
  ::kill(child, SIGKILL);
  EXPECT_EQ(wait_exit_code(child), 128 + SIGKILL);
}

// Reruns an interrupted enrollment of `total` ids of which `committed` are in the store: it succeeds and
// says how many it skips. Call under ASSERT_NO_FATAL_FAILURE.
inline void expect_rerun_resumes(const std::vector<std::string>& args, size_t committed, size_t total) {
  const auto r = run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(std::to_string(committed) + " of " + std::to_string(total) + " ids already in"),
            std::string::npos) << r.err;
}

}  // namespace spheremask::testing
