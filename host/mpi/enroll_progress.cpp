#include "mpi/enroll_progress.hpp"

#include <chrono>
#include <thread>

namespace spheremask::mpi {
namespace {

constexpr int kTagProgress = 101;
constexpr int kTagReport = 102;

}  // namespace

std::vector<uint8_t> Report::pack() const {
  Packer p;
  p.u64(failure ? 1 : 0);
  if (failure) p.str(failure->code).str(failure->message);
  p.u64(enrolled).u64(skipped).u64(records).f64(seconds).str(device).u64(shards.size());
  for (uint32_t s : shards) p.u64(s);
  return p.bytes;
}

Report Report::unpack(const std::vector<uint8_t>& bytes) {
  Unpacker u(bytes);
  Report r;
  if (u.u64()) {
    r.failure = Failure{};
    r.failure->code = u.str();
    r.failure->message = u.str();
  }
  r.enrolled = u.u64();
  r.skipped = u.u64();
  r.records = u.u64();
  r.seconds = u.f64();
  r.device = u.str();
  for (uint64_t k = u.u64(); k > 0; --k) r.shards.push_back(uint32_t(u.u64()));
  return r;
}

ProgressChannel::ProgressChannel(const Job& job, uint64_t todo, uint64_t skipped, double interval_s)
    : job_(job), done_(size_t(job.size), 0), reports_(size_t(job.size)) {
  if (job.root()) bar_.emplace("enroll", todo, skipped, interval_s);
}

void ProgressChannel::post(uint64_t done) {
  if (job_.root()) {
    done_[0] = done;
    poll();
    return;
  }
  int idle = 1;
  if (pending_ != MPI_REQUEST_NULL) MPI_Test(&pending_, &idle, MPI_STATUS_IGNORE);
  if (!idle) return;
  outgoing_ = done;
  MPI_Isend(&outgoing_, 1, MPI_UINT64_T, 0, kTagProgress, MPI_COMM_WORLD, &pending_);
}

std::vector<Report> ProgressChannel::finish(const Report& mine) {
  if (!job_.root()) {
    if (pending_ != MPI_REQUEST_NULL) MPI_Wait(&pending_, MPI_STATUS_IGNORE);
    const auto bytes = mine.pack();
    MPI_Send(bytes.data(), int(bytes.size()), MPI_BYTE, 0, kTagReport, MPI_COMM_WORLD);
    return {};
  }
  reports_[0] = mine;
  size_t missing = size_t(job_.size) - 1;
  while (missing > 0) {
    if (!poll()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    missing = 0;
    for (int r = 1; r < job_.size; ++r) missing += !reports_[size_t(r)].has_value();
  }
  bar_->finish();
  std::vector<Report> out;
  for (auto& r : reports_) out.push_back(*r);
  return out;
}

bool ProgressChannel::poll() {
  bool any = false;
  for (;;) {
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
    if (!flag) break;
    any = true;
    const size_t from = size_t(st.MPI_SOURCE);
    if (st.MPI_TAG == kTagProgress) {
      uint64_t v = 0;
      MPI_Recv(&v, 1, MPI_UINT64_T, st.MPI_SOURCE, kTagProgress, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      done_[from] = v;
    } else {
      int size = 0;
      MPI_Get_count(&st, MPI_BYTE, &size);
      std::vector<uint8_t> bytes(static_cast<size_t>(size));
      MPI_Recv(bytes.data(), size, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      reports_[from] = Report::unpack(bytes);
      done_[from] = reports_[from]->enrolled;
    }
  }
  uint64_t total = 0;
  for (uint64_t d : done_) total += d;
  bar_->update(total);
  return any;
}

}  // namespace spheremask::mpi
