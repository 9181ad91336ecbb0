// The MPI side of spheremask-mpi: who this process is, how many threads and which GPU it takes, and
// the few collectives the commands use. Rule for every command: a step that can fail on bad input
// (a missing or foreign shard, a bad probe file) runs locally and is settled by agree() before any
// collective that depends on it, so a failure is reported by rank 0 and never leaves a rank waiting.
#pragma once
#include <mpi.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "spheremask/error.hpp"

namespace spheremask::mpi {

struct Job {
  int rank = 0, size = 1;              // in MPI_COMM_WORLD
  int local_rank = 0, local_size = 1;  // among the processes of this node (MPI_COMM_TYPE_SHARED)
  static Job current();
  bool root() const { return rank == 0; }
};

// Thrown on every rank after agree() found a failure: rank 0 has already printed it; exit status 2.
struct JobFailed : std::runtime_error {
  JobFailed() : std::runtime_error("the job failed (reported by rank 0)") {}
};

// A failure captured on one rank: the error code's name and the message.
struct Failure {
  std::string code;
  std::string message;
};

// Runs fn, turning a thrown exception into a Failure instead of letting it escape before agree().
template <class Fn>
std::optional<Failure> capture(Fn&& fn) {
  try {
    fn();
    return std::nullopt;
  } catch (const Error& e) {
    return Failure{error_code_name(e.code()), e.what()};
  } catch (const std::exception& e) {
    return Failure{"error", e.what()};
  }
}

// Collective over all ranks: when any rank has a failure, rank 0 prints one line per failing rank on
// stderr and every rank throws JobFailed. One allreduce when all is well.
void agree(const Job& job, const std::optional<Failure>& failure);

// CPU threads for this process: `requested` when > 0, else the cores the launcher bound it to, shared
// with the other ranks of the node when it bound none (all cores visible).
int rank_threads(const Job& job, int requested);
// CUDA device for this process: local rank modulo the device count (0 without devices).
int rank_device(const Job& job);

// Rank 0's bytes to every rank (size first, then the bytes).
void broadcast(std::vector<uint8_t>& bytes);
// Every rank's bytes to rank 0, in rank order (empty vector elsewhere).
std::vector<std::vector<uint8_t>> gather(const Job& job, const std::vector<uint8_t>& bytes);

// Little-endian packing of the few values the commands exchange.
class Packer {
 public:
  Packer& u64(uint64_t v);
  Packer& f64(double v);
  Packer& str(const std::string& s);
  std::vector<uint8_t> bytes;
};
class Unpacker {
 public:
  explicit Unpacker(const std::vector<uint8_t>& b) : b_(b) {}
  uint64_t u64();
  double f64();
  std::string str();
  bool done() const { return at_ == b_.size(); }

 private:
  void need(size_t n) const;
  const std::vector<uint8_t>& b_;
  size_t at_ = 0;
};

}  // namespace spheremask::mpi
