#include "mpi/mpi_job.hpp"

#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <thread>

#include "spheremask/engine.hpp"
#include "spheremask/detail/bytes.hpp"

namespace spheremask::mpi {
namespace {

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw Error(ErrorCode::Backend, std::string("MPI: ") + what + " failed");
}

}  // namespace

Job Job::current() {
  Job j;
  MPI_Comm_rank(MPI_COMM_WORLD, &j.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &j.size);
  MPI_Comm node;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, j.rank, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
  MPI_Comm_rank(node, &j.local_rank);
  MPI_Comm_size(node, &j.local_size);
  MPI_Comm_free(&node);
  return j;
}

void agree(const Job& job, const std::optional<Failure>& failure) {
  int mine = failure ? 1 : 0, any = 0;
  check(MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce");
  if (!any) return;
  Packer p;
  p.u64(mine);
  if (failure) p.str(failure->code).str(failure->message);
  const auto all = gather(job, p.bytes);
  if (job.root()) {
    // One line per distinct failure, naming every rank that hit it (a bad argument fails them all alike).
    std::vector<std::pair<std::string, std::string>> seen;  // (code, message), first-seen order
    std::vector<std::vector<int>> ranks;
    for (int r = 0; r < job.size; ++r) {
      Unpacker u(all[size_t(r)]);
      if (!u.u64()) continue;
      std::pair<std::string, std::string> f;
      f.first = u.str();
      f.second = u.str();
      const auto it = std::find(seen.begin(), seen.end(), f);
      if (it == seen.end()) {
        seen.push_back(std::move(f));
        ranks.push_back({r});
      } else {
        ranks[size_t(it - seen.begin())].push_back(r);
      }
    }
    for (size_t k = 0; k < seen.size(); ++k) {
      std::string where = ranks[k].size() == 1 ? "rank " : "ranks ";
      for (size_t i = 0; i < ranks[k].size(); ++i) {
        if (i) where += ',';
        where += std::to_string(ranks[k][i]);
      }
      std::fprintf(stderr, "spheremask-mpi: error (%s) on %s: %s\n", seen[k].first.c_str(), where.c_str(),
                   seen[k].second.c_str());
    }
  }
  throw JobFailed();
}

int rank_threads(const Job& job, int requested) {
  if (requested > 0) return requested;
  cpu_set_t set;
  CPU_ZERO(&set);
  int bound = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  if (bound <= 0) bound = cores;
  // A launcher that binds each rank to its cores leaves fewer than all visible: use them all. One that
  // binds none leaves every core visible to every rank of the node: share them.
  if (bound >= cores) bound = cores / std::max(1, job.local_size);
  return std::max(1, bound);
}

int rank_device(const Job& job) {
  const int devices = cuda_device_count();
  return devices > 0 ? job.local_rank % devices : 0;
}

void broadcast(std::vector<uint8_t>& bytes) {
  uint64_t size = bytes.size();
  check(MPI_Bcast(&size, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD), "MPI_Bcast");
  bytes.resize(size);
  // MPI counts are int: send in slices of at most 1 GiB.
  for (uint64_t at = 0; at < size; at += 1ull << 30) {
    const int n = int(std::min<uint64_t>(size - at, 1ull << 30));
    check(MPI_Bcast(bytes.data() + at, n, MPI_BYTE, 0, MPI_COMM_WORLD), "MPI_Bcast");
  }
}

std::vector<std::vector<uint8_t>> gather(const Job& job, const std::vector<uint8_t>& bytes) {
  if (bytes.size() > (1u << 30)) throw Error(ErrorCode::InvalidArgument, "MPI: a rank's result exceeds 1 GiB");
  const int mine = int(bytes.size());
  std::vector<int> sizes(job.root() ? size_t(job.size) : 0), offsets;
  check(MPI_Gather(&mine, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Gather");
  std::vector<uint8_t> all;
  if (job.root()) {
    int64_t total = 0;
    for (int s : sizes) {
      offsets.push_back(int(total));
      total += s;
    }
    if (total > (1ll << 31) - 1) throw Error(ErrorCode::InvalidArgument, "MPI: gathered results exceed 2 GiB");
    all.resize(size_t(total));
  }
  check(MPI_Gatherv(bytes.data(), mine, MPI_BYTE, all.data(), sizes.data(), offsets.data(), MPI_BYTE, 0, MPI_COMM_WORLD),
        "MPI_Gatherv");
  std::vector<std::vector<uint8_t>> out;
  for (size_t r = 0; r < sizes.size(); ++r)
    out.emplace_back(all.begin() + offsets[r], all.begin() + offsets[r] + sizes[r]);
  return out;
}

Packer& Packer::u64(uint64_t v) {
  uint8_t le[8];
  detail::store_le64(le, v);
  bytes.insert(bytes.end(), le, le + 8);
  return *this;
}

Packer& Packer::f64(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  return u64(bits);
}

Packer& Packer::str(const std::string& s) {
  u64(s.size());
  bytes.insert(bytes.end(), s.begin(), s.end());
  return *this;
}

void Unpacker::need(size_t n) const {
  if (b_.size() - at_ < n) throw Error(ErrorCode::Backend, "MPI: truncated message from another rank");
}

uint64_t Unpacker::u64() {
  need(8);
  const uint64_t v = detail::load_le64(b_.data() + at_);
  at_ += 8;
  return v;
}

double Unpacker::f64() {
  const uint64_t bits = u64();
  double v;
  std::memcpy(&v, &bits, 8);
  return v;
}

std::string Unpacker::str() {
  const uint64_t n = u64();
  need(n);
  std::string s(b_.begin() + long(at_), b_.begin() + long(at_ + n));
  at_ += n;
  return s;
}

}  // namespace spheremask::mpi
