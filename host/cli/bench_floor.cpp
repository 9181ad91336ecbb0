#include "cli/bench_floor.hpp"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "format/chunk_digests.hpp"
#include "crypto/sha256_lanes.hpp"

namespace spheremask::cli {
namespace {

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

double single_thread_sgemm_gflops(uint32_t n) {
  const int saved = openblas_get_num_threads();
  openblas_set_num_threads(1);
  const size_t nn = size_t(n) * n;
  std::vector<float> a(nn, 0.5f), b(nn, 0.25f), c(nn);
  std::vector<double> rates;
  for (int r = 0; r < 7; ++r) {  // the first run warms caches and OpenBLAS buffers
    const auto t0 = std::chrono::steady_clock::now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(n), int(n), int(n), 1.0f, a.data(), int(n), b.data(),
                int(n), 0.0f, c.data(), int(n));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r > 0) rates.push_back(2.0 * double(n) * n * n / s / 1e9);
  }
  openblas_set_num_threads(saved);
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

double single_thread_mac_gbs(size_t message_bytes) {
  constexpr size_t kMessages = 8;
  const std::vector<uint8_t> message(message_bytes, 0x5a);
  const uint8_t key[32] = {1};
  std::vector<crypto::HmacJob> jobs(kMessages, crypto::HmacJob{key, message, {}});
  std::vector<crypto::Digest> out(kMessages);
  std::vector<double> rates;
  for (int r = 0; r < 6; ++r) {  // the first run warms caches
    const auto t0 = std::chrono::steady_clock::now();
    crypto::hmac_sha256_many(jobs, out.data());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r > 0) rates.push_back(double(kMessages * message_bytes) / s / 1e9);
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

ChunkHashRate single_thread_chunk_hash_rate(size_t p_bytes) {
  std::vector<uint8_t> p(p_bytes);
  for (size_t i = 0; i < p.size(); ++i) p[i] = uint8_t(i * 7 + (i >> 11));
  std::vector<crypto::Digest> out(format::chunk_count(p_bytes));
  std::vector<crypto::HashImpl> methods = {crypto::HashImpl::Portable};
  if (crypto::sha256_lanes_available()) methods = {crypto::HashImpl::Portable, crypto::HashImpl::Lanes4, crypto::HashImpl::Lanes8};
  std::vector<std::vector<double>> wall(methods.size()), cpu(methods.size());
  for (int r = 0; r < 8; ++r)  // the first round warms caches
    for (size_t m = 0; m < methods.size(); ++m) {
      const double c0 = thread_cpu_seconds();
      const auto t0 = std::chrono::steady_clock::now();
      format::chunk_digests(p, out.data(), 1, methods[m]);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double c = thread_cpu_seconds() - c0;
      if (r > 0) {
        wall[m].push_back(double(p_bytes) / s / 1e9);
        cpu[m].push_back(double(p_bytes) / c / 1e9);
      }
    }
  ChunkHashRate best;
  for (size_t m = 0; m < methods.size(); ++m) {
    const double w = median_of(wall[m]), c = median_of(cpu[m]);
    if (w > best.wall_gbs) {
      best.wall_gbs = w;
      best.impl = format::hash_impl_name(methods[m]);
    }
    best.cpu_gbs = std::max(best.cpu_gbs, c);
  }
  return best;
}

}  // namespace spheremask::cli
