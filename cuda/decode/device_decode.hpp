// Host side of the fused decode + verifier kernels (decode_kernels.cu), shared by the per-call verify
// and the resident gallery: what goes up, what comes back, and the wiping of what came back.
#pragma once
#include <cstdint>
#include <vector>

#include "backend/backend_impl.hpp"
#include "cuda/core/cuda_raii.hpp"
#include "cuda/core/device_context.hpp"
#include "cuda/core/kernels.hpp"

namespace spheremask::cuda {

// Row i of d_y (count × n, on the device) decoded and checked against salts[16i..] and verifiers[32i..]
// (host arrays); match[i], and matched[i] on a match. Synchronizes the context's stream.
void verify_rows(DeviceContext& ctx, uint32_t count, uint32_t n, uint32_t alpha, const float* d_y,
                 const std::vector<uint8_t>& salts, const std::vector<uint8_t>& verifiers, uint8_t* match,
                 detail::Codeword* matched);
// The same with the salts and verifiers already on the device (count × 16 and count × 32 bytes).
void verify_rows(DeviceContext& ctx, uint32_t count, uint32_t n, uint32_t alpha, const float* d_y,
                 const uint8_t* d_salts, const uint8_t* d_verifiers, uint8_t* match, detail::Codeword* matched);

// The identification decode with a hit buffer that grows when a block has more matches than slots.
class HitCollector {
 public:
  HitCollector();
  // Decodes the records × probes columns of d_y (column record·probes + probe) against the records'
  // device salts and verifiers and appends every match, numbered from record_base and probe_base.
  // Synchronizes the context's stream.
  void collect(DeviceContext& ctx, uint32_t records, uint32_t probes, uint32_t n, uint32_t alpha, const float* d_y,
               const uint8_t* d_salts, const uint8_t* d_verifiers, uint32_t record_base, uint32_t probe_base,
               std::vector<internal::IdentifyHit>& hits);

 private:
  uint32_t decode(DeviceContext& ctx, uint32_t records, uint32_t probes, uint32_t n, uint32_t alpha, const float* d_y,
                  const uint8_t* d_salts, const uint8_t* d_verifiers, uint32_t record_base, uint32_t probe_base);

  DeviceBuffer<DeviceHit> hits_;
  DeviceBuffer<uint32_t> count_;
};

}  // namespace spheremask::cuda
