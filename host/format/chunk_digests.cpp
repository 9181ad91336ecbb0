#include "format/chunk_digests.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include "util/parallel.hpp"

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

double seconds_to_hash(std::span<const uint8_t> data, crypto::HashImpl impl) {
  std::vector<crypto::Digest> out(chunk_count(data.size()));
  double best = 1e30;
  for (int rep = 0; rep < 3; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    hash_range(data, 0, out.size(), out.data(), impl);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

crypto::HashImpl measure_fastest() {
  if (!crypto::sha256_lanes_available()) return crypto::HashImpl::Portable;
  std::vector<uint8_t> data(32 * kChunkBytes);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 131 + (i >> 9));
  crypto::HashImpl best = crypto::HashImpl::Portable;
  double best_s = seconds_to_hash(data, best);
  for (auto impl : {crypto::HashImpl::Lanes4, crypto::HashImpl::Lanes8}) {
    const double s = seconds_to_hash(data, impl);
    if (s < best_s) {
      best_s = s;
      best = impl;
    }
  }
  return best;
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
