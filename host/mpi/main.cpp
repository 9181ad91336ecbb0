// spheremask-mpi: the sharded store over MPI (enroll, identify, verify). Launch with mpirun or srun.
// Errors that every rank can see coming are settled collectively and printed once by rank 0 (exit 2);
// anything unexpected on one rank aborts the whole job rather than leave the others waiting.
#include <malloc.h>
#include <mpi.h>

#include <cstdio>

#include "mpi/commands.hpp"
#include "spheremask/error.hpp"

int main(int argc, char** argv) {
  // Records are ~n² bytes each: keep freed ones in the heap for reuse (as the plain CLI does).
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  MPI_Init(&argc, &argv);
  const auto job = spheremask::mpi::Job::current();
  CLI::App app{"spheremask-mpi: sharded enrollment and 1:N identification over MPI"};
  app.require_subcommand(1);
  spheremask::mpi::add_enroll_command(app, job);
  spheremask::mpi::add_identify_command(app, job);
  spheremask::mpi::add_verify_command(app, job);
  int status = 0;
  try {
    app.parse(argc, argv);  // every rank parses the same arguments, so they agree on usage errors
  } catch (const CLI::ParseError& e) {
    // Rank 0 alone prints usage; a refused command line exits 2 as in spheremask.
    status = (job.root() ? app.exit(e) : e.get_exit_code()) == 0 ? 0 : 2;
  } catch (const spheremask::mpi::JobFailed&) {
    status = 2;
  } catch (const spheremask::Error& e) {
    std::fprintf(stderr, "spheremask-mpi: error (%s) on rank %d: %s\n", spheremask::error_code_name(e.code()), job.rank,
                 e.what());
    MPI_Abort(MPI_COMM_WORLD, 2);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spheremask-mpi: error on rank %d: %s\n", job.rank, e.what());
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  MPI_Finalize();
  return status;
}
