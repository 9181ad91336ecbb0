#include "format/chunk_digests.hpp"

#include <algorithm>
#include <vector>

#include "util/parallel.hpp"
#include "util/thread_cpu_time.hpp"

namespace spheremask::format {
namespace {

constexpr size_t kThreadedFrom = size_t(4) << 20;  // P bytes from which threads pay for themselves
constexpr size_t kMinChunksPerThread = 64;          // 1 MiB of P per thread at least

void hash_range(std::span<const uint8_t> p, size_t first, size_t last, crypto::Digest* out, crypto::HashImpl impl) {
  std::vector<crypto::Sha256Job> jobs(last - first);
  for (size_t c = first; c < last; ++c) {
    const size_t off = c * kChunkBytes;
    jobs[c - first] = {{p.subspan(off, std::min(kChunkBytes, p.size() - off)), {}, {}}};
  }
  crypto::sha256_many(jobs, out + first, impl);
}

// Timed in thread CPU time: a wall-clock timing on a loaded machine picked OpenSSL where the lanes are
// 1.8× faster.
crypto::HashImpl measure_fastest() {
  if (!crypto::sha256_lanes_available()) return crypto::HashImpl::Portable;
  std::vector<uint8_t> data(32 * kChunkBytes);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 131 + (i >> 9));
  std::vector<crypto::Digest> out(chunk_count(data.size()));
  constexpr crypto::HashImpl kCandidates[] = {crypto::HashImpl::Portable, crypto::HashImpl::Lanes4,
                                              crypto::HashImpl::Lanes8};
  double best_s[3] = {1e30, 1e30, 1e30};
  for (int round = 0; round < 5; ++round)  // rounds interleave the methods, so each sees the same conditions
    for (int m = 0; m < 3; ++m) {
      const double t0 = internal::thread_cpu_seconds();
      hash_range(data, 0, out.size(), out.data(), kCandidates[m]);
      best_s[m] = std::min(best_s[m], internal::thread_cpu_seconds() - t0);
    }
  return kCandidates[std::min_element(best_s, best_s + 3) - best_s];
}

}  // namespace

crypto::HashImpl fastest_chunk_hasher() {
  static const crypto::HashImpl chosen = measure_fastest();
  return chosen;
}

const char* hash_impl_name(crypto::HashImpl impl) {
  switch (impl) {
    case crypto::HashImpl::Portable: return "openssl";
    case crypto::HashImpl::Lanes4: return "sha-ni-4-lanes";
    case crypto::HashImpl::Lanes8: return "sha-ni-8-lanes";
    default: return "best";
  }
}

void chunk_digests(std::span<const uint8_t> p, crypto::Digest* out, int threads, crypto::HashImpl impl) {
  if (impl == crypto::HashImpl::Best) impl = fastest_chunk_hasher();
  const size_t chunks = chunk_count(p.size());
  const int allowed = threads > 0 ? threads : (p.size() >= kThreadedFrom ? internal::resolve_threads(0) : 1);
  const int workers = int(std::min<size_t>(size_t(allowed), std::max<size_t>(1, chunks / kMinChunksPerThread)));
  internal::parallel_for(chunks, workers, [&](size_t b, size_t e, int) { hash_range(p, b, e, out, impl); });
}

}  // namespace spheremask::format
