// Enrollment's only traffic between ranks: progress counts posted without blocking, and one final
// report per rank collected by rank 0. Nothing here is a collective, so a rank that dies cannot leave
// the others waiting inside one (the launcher ends the job).
#pragma once
#include <mpi.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mpi/mpi_job.hpp"
#include "cli/progress.hpp"

namespace spheremask::mpi {

// What one rank did, sent to rank 0 at the end.
struct Report {
  std::optional<Failure> failure;
  uint64_t enrolled = 0, skipped = 0, records = 0;
  double seconds = 0;
  std::string device;
  std::vector<uint32_t> shards;

  std::vector<uint8_t> pack() const;
  static Report unpack(const std::vector<uint8_t>& bytes);
};

// Rank 0's view of every rank's progress (a throttled bar on its stderr); the other ranks post counts.
class ProgressChannel {
 public:
  ProgressChannel(const Job& job, uint64_t todo, uint64_t skipped, double interval_s);
  ProgressChannel(const ProgressChannel&) = delete;
  ProgressChannel& operator=(const ProgressChannel&) = delete;

  // This rank has `done` rows committed. Never blocks: a count rank 0 has not taken yet is replaced.
  void post(uint64_t done);
  // Sends this rank's report (other ranks; returns nothing), or collects every rank's, in rank order (rank 0).
  std::vector<Report> finish(const Report& mine);

 private:
  bool poll();  // rank 0: takes every message that has arrived; true when there was one

  const Job& job_;
  std::optional<cli::Progress> bar_;
  std::vector<uint64_t> done_;
  std::vector<std::optional<Report>> reports_;
  uint64_t outgoing_ = 0;
  MPI_Request pending_ = MPI_REQUEST_NULL;
};

}  // namespace spheremask::mpi
