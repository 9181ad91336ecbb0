// Runs the spheremask CLI (build/host/cli/spheremask) as a child process: the one runner of every CLI
// test. stdout and stderr are captured apart (the CLI's contract is one error line on stderr, nothing on
// stdout on failure), with optional stdin text, environment overrides and a file-size limit.
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "support/scratch_dir.hpp"

extern char** environ;

namespace spheremask::testing {

struct CliResult {
  int exit_code = -1;  // 128 + signal when the child was killed
  std::string out, err;
};

struct CliOptions {
  std::optional<std::string> stdin_text;  // unset: stdin is /dev/null
  // name → value; nullopt unsets the variable. Everything else is inherited.
  std::vector<std::pair<std::string, std::optional<std::string>>> env;
  // > 0: the child may write no file beyond this many bytes (RLIMIT_FSIZE, SIGXFSZ ignored so writes
  // fail with EFBIG): a full disk, simulated without privileges.
  size_t file_size_limit = 0;
};

inline bool cli_built() { return std::filesystem::exists(SPHEREMASK_CLI_PATH); }

// The environment of the child: this process's, with opts.env applied (built before fork, so the child
// only calls async-signal-safe functions).
inline std::vector<std::string> cli_environment(const CliOptions& opts) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const auto& [n, v] : opts.env) overridden |= n == name;
    if (!overridden) env.push_back(entry);
  }
  for (const auto& [n, v] : opts.env)
    if (v) env.push_back(n + "=" + *v);
  return env;
}

// Starts the CLI with args, stdin from stdin_path ("" = /dev/null), stdout/stderr to the given files;
// returns the child's pid (wait_exit_code reaps it).
inline pid_t spawn_cli(const std::vector<std::string>& args, const std::string& out_path, const std::string& err_path,
                       const CliOptions& opts = {}, const std::string& stdin_path = "") {
  std::string cli = SPHEREMASK_CLI_PATH;
  std::vector<std::string> arg_copy = args, env = cli_environment(opts);
  std::vector<char*> argv{cli.data()}, envp;
  for (auto& a : arg_copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string in_path = stdin_path.empty() ? "/dev/null" : stdin_path;
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int in = ::open(in_path.c_str(), O_RDONLY);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) ::_exit(127);
    if (opts.file_size_limit > 0) {
      ::signal(SIGXFSZ, SIG_IGN);
      const rlimit limit{rlim_t(opts.file_size_limit), rlim_t(opts.file_size_limit)};
      if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(126);
    }
    ::execve(cli.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

inline int wait_exit_code(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs the CLI to completion. Its output goes through files in a scratch directory of its own (not
// pipes: a child that fills one pipe while the parent drains the other cannot block).
inline CliResult run_cli(const std::vector<std::string>& args, const CliOptions& opts = {}) {
  static int calls = 0;
  const ScratchDir dir("cli-run-" + std::to_string(++calls));
  std::string in_path;
  if (opts.stdin_text) write_text(in_path = dir.file("in"), *opts.stdin_text);
  CliResult r;
  r.exit_code = wait_exit_code(spawn_cli(args, dir.file("out"), dir.file("err"), opts, in_path));
  r.out = read_text(dir.file("out"));
  r.err = read_text(dir.file("err"));
  return r;
}

}  // namespace spheremask::testing

// Skips the test when the CLI binary was not built (the ThreadSanitizer build does not build it).
#define SPHEREMASK_SKIP_WITHOUT_CLI() \
  if (!::spheremask::testing::cli_built()) GTEST_SKIP() << "CLI not built: " << SPHEREMASK_CLI_PATH
