// One function per spheremask-mpi subcommand; each lives in its own cmd_*.cpp and is registered in main.cpp.
#pragma once
#include <CLI/CLI.hpp>

#include "mpi/mpi_job.hpp"

namespace spheremask::mpi {

void add_enroll_command(CLI::App& app, const Job& job);
void add_identify_command(CLI::App& app, const Job& job);
void add_verify_command(CLI::App& app, const Job& job);

}  // namespace spheremask::mpi
