#include "cuda/decode/device_decode.hpp"

namespace spheremask::cuda {
namespace {
constexpr size_t kInitialHitCapacity = 4096;
}

void verify_rows(DeviceContext& ctx, uint32_t count, uint32_t n, uint32_t alpha, const float* d_y,
                 const std::vector<uint8_t>& salts, const std::vector<uint8_t>& verifiers, uint8_t* match,
                 detail::Codeword* matched) {
  cudaStream_t s = ctx.stream();
  DeviceBuffer<uint8_t> d_salts(salts.size(), Secret::No), d_verifiers(verifiers.size(), Secret::No);
  upload(d_salts.get(), salts.data(), salts.size(), s);
  upload(d_verifiers.get(), verifiers.data(), verifiers.size(), s);
  verify_rows(ctx, count, n, alpha, d_y, d_salts.get(), d_verifiers.get(), match, matched);
}

void verify_rows(DeviceContext& ctx, uint32_t count, uint32_t n, uint32_t alpha, const float* d_y,
                 const uint8_t* d_salts, const uint8_t* d_verifiers, uint8_t* match, detail::Codeword* matched) {
  cudaStream_t s = ctx.stream();
  DeviceBuffer<uint8_t> d_match(count, Secret::No);
  DeviceBuffer<detail::Codeword> d_c(count, Secret::Yes);
  d_c.zero(s);
  launch_verify_decode(count, n, alpha, d_y, d_salts, d_verifiers, d_match.get(), d_c.get(), s);
  std::vector<uint8_t> m(count);
  std::vector<detail::Codeword> c(count);
  download(m.data(), d_match.get(), count, s);
  ctx.synchronize();
  download_secret(ctx, c.data(), d_c.get(), count);
  for (uint32_t i = 0; i < count; ++i) {
    match[i] = m[i];
    if (m[i]) matched[i] = c[i];
    c[i].wipe();
  }
}

HitCollector::HitCollector() : hits_(kInitialHitCapacity, Secret::Yes), count_(1, Secret::No) {}

void HitCollector::collect(DeviceContext& ctx, uint32_t records, uint32_t probes, uint32_t n, uint32_t alpha,
                           const float* d_y, const uint8_t* d_salts, const uint8_t* d_verifiers, uint32_t record_base,
                           uint32_t probe_base, std::vector<internal::IdentifyHit>& hits) {
  uint32_t found = decode(ctx, records, probes, n, alpha, d_y, d_salts, d_verifiers, record_base, probe_base);
  if (found > hits_.size()) {  // more matches than slots: grow and decode the same columns again
    hits_ = DeviceBuffer<DeviceHit>(found, Secret::Yes);
    found = decode(ctx, records, probes, n, alpha, d_y, d_salts, d_verifiers, record_base, probe_base);
  }
  std::vector<DeviceHit> host(found);
  download_secret(ctx, host.data(), hits_.get(), found);
  for (auto& h : host) {
    hits.push_back({h.record, h.probe, h.codeword});
    h.codeword.wipe();
  }
}

uint32_t HitCollector::decode(DeviceContext& ctx, uint32_t records, uint32_t probes, uint32_t n, uint32_t alpha,
                              const float* d_y, const uint8_t* d_salts, const uint8_t* d_verifiers,
                              uint32_t record_base, uint32_t probe_base) {
  cudaStream_t s = ctx.stream();
  count_.zero(s);
  launch_identify_decode(records, probes, n, alpha, d_y, d_salts, d_verifiers, record_base, probe_base, hits_.get(),
                         uint32_t(hits_.size()), count_.get(), s);
  uint32_t found = 0;
  download(&found, count_.get(), 1, s);
  ctx.synchronize();
  return found;
}

}  // namespace spheremask::cuda
