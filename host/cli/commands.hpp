// One function per subcommand; each lives in its own cmd_*.cpp and is registered in main.cpp.
#pragma once
#include <CLI/CLI.hpp>

namespace spheremask::cli {

void add_security_command(CLI::App& app);
void add_synth_command(CLI::App& app);
void add_enroll_command(CLI::App& app);
void add_verify_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_seal_commands(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_identify_command(CLI::App& app);
void add_expander_command(CLI::App& app);
void add_eval_command(CLI::App& app);
// `attack` and its subcommands (cmd_attack.cpp registers them; each lives in cmd_attack_*.cpp).
void add_attack_command(CLI::App& app);
void add_attack_invert_command(CLI::App& attack);
void add_attack_link_command(CLI::App& attack);
void add_attack_dictionary_command(CLI::App& attack);

}  // namespace spheremask::cli
