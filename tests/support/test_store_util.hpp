// Helpers of the store tests: a scratch directory, test templates, and running the CLI as a child.
#pragma once
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tools/npy.hpp"
#include "test_util.hpp"

namespace spheremask::testing {

// A fresh directory under the system temp dir, removed with its contents at scope exit.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag) {
    path_ = std::filesystem::temp_directory_path() / ("spheremask-" + tag + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string numbered_ids(size_t count, const std::string& prefix = "subject-") {
  std::string text;
  for (size_t i = 0; i < count; ++i) text += prefix + std::to_string(i) + "\n";
  return text;
}

struct CliResult {
  int exit_code = -1;
  std::string out, err;
};

// Starts the CLI with args, stdout/stderr to files in dir; returns the child's pid.
// file_size_limit > 0: the child may write no file beyond that many bytes (RLIMIT_FSIZE, SIGXFSZ
// ignored so writes fail with EFBIG): a full disk, simulated without privileges.
inline pid_t spawn_cli(const std::vector<std::string>& args, const std::string& out_path, const std::string& err_path,
                       size_t file_size_limit = 0) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (!std::freopen(out_path.c_str(), "w", stdout) || !std::freopen(err_path.c_str(), "w", stderr)) ::_exit(127);
    if (file_size_limit > 0) {
      ::signal(SIGXFSZ, SIG_IGN);
      const rlimit limit{rlim_t(file_size_limit), rlim_t(file_size_limit)};
      if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(126);
    }
    std::vector<char*> argv;
    std::string cli = SPHEREMASK_CLI_PATH;
    argv.push_back(cli.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(cli.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

inline int wait_exit_code(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

inline CliResult run_cli(const ScratchDir& dir, const std::vector<std::string>& args, size_t file_size_limit = 0) {
  const std::string out = dir.file("cli.out"), err = dir.file("cli.err");
  CliResult r;
  r.exit_code = wait_exit_code(spawn_cli(args, out, err, file_size_limit));
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

}  // namespace spheremask::testing
