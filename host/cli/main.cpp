// spheremask command-line interface. Library errors become one line on stderr and exit code 2;
// nothing secret is ever printed.
#include <malloc.h>

#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "spheremask/error.hpp"

int main(int argc, char** argv) {
  // Records are ~n² bytes each (1 MiB at n = 512): keep freed ones in the heap for reuse instead of
  // returning them to the kernel, whose fresh pages cost a page fault per 4 KiB on first touch.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  CLI::App app{"spheremask: protected face templates (IronMask) on CPU and GPU"};
  app.require_subcommand(1);
  spheremask::cli::add_security_command(app);
  spheremask::cli::add_synth_command(app);
  spheremask::cli::add_enroll_command(app);
  spheremask::cli::add_verify_command(app);
  spheremask::cli::add_identify_command(app);
  spheremask::cli::add_bench_command(app);
  spheremask::cli::add_seal_commands(app);
  spheremask::cli::add_demo_command(app);
  spheremask::cli::add_expander_command(app);
  spheremask::cli::add_eval_command(app);
  spheremask::cli::add_attack_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version exit 0; every refused command line exits 2, as every refused input does.
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const spheremask::Error& e) {
    std::cerr << "spheremask: error (" << spheremask::error_code_name(e.code()) << "): " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "spheremask: error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
