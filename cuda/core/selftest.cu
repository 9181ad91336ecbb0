// <<<1,1>>> known-answer run of the detail/ helpers (see cuda_selftest.hpp).
#include <cuda_runtime.h>

#include "backend/backend_impl.hpp"
#include "cuda/core/cuda_check.hpp"
#include "cuda/core/cuda_raii.hpp"
#include "cuda/core/cuda_selftest.hpp"
#include "spheremask/detail/chacha20.hpp"
#include "spheremask/detail/decode.hpp"
#include "spheremask/detail/gaussian.hpp"
#include "spheremask/detail/half.hpp"
#include "spheremask/detail/sha256.hpp"
#include "cuda/decode/top_alpha.hpp"

namespace spheremask::internal {
namespace {

struct SelftestInput {
  uint8_t key_c[32];
  uint8_t salt[16];
};

__global__ void detail_selftest_kernel(SelftestInput in, CudaDetailSelftest* out) {
  uint8_t seed[32];
  for (int i = 0; i < 32; ++i) seed[i] = uint8_t(i);
  uint32_t key[8];
  detail::key_words(seed, key);
  const uint32_t nonce[3] = {0x09000000u, 0x4a000000u, 0u};  // bytes 00 00 00 09 00 00 00 4a 00 00 00 00
  detail::chacha20_block(key, 1, nonce, out->chacha_block);
  const uint64_t elements[5] = {0, 1, 1000, 1001, 65535};
  for (int i = 0; i < 5; ++i) out->gaussian[i] = detail::gaussian_element(key, elements[i]);
  detail::gaussian_range(key, 0, 16, out->gaussian_range);
  const uint8_t abc[3] = {'a', 'b', 'c'};
  detail::sha256(abc, 3, out->sha256_abc);
  detail::sample_codeword(in.key_c, 64, 8, &out->sampled);
  out->encoded_size = uint32_t(detail::encode_codeword(out->sampled, out->encoded));
  cuda::verifier_digest(in.salt, out->sampled, out->verifier);
  const float minus_zero = detail::bits_float(0x80000000u);
  const float ties[8] = {0.5f, -0.5f, 0.25f, -0.25f, 0.5f, 0.0f, minus_zero, 0.1f};
  out->decoded_ties_ok = detail::decode_codeword(ties, 8, 3, &out->decoded_ties);
  out->half_of_third = detail::float_to_half(1.0f / 3.0f);
  out->half_roundtrip = detail::half_to_float(out->half_of_third);
}

}  // namespace

CudaDetailSelftest cuda_detail_selftest(int device, const uint8_t key_c[32], const uint8_t salt[16]) {
  if (cuda_device_count_impl() <= device)
    throw Error(ErrorCode::Unavailable, "CUDA self-test: no CUDA device " + std::to_string(device));
  cuda::DeviceGuard guard(device);
  SelftestInput in{};
  for (int i = 0; i < 32; ++i) in.key_c[i] = key_c[i];
  for (int i = 0; i < 16; ++i) in.salt[i] = salt[i];
  cuda::DeviceBuffer<CudaDetailSelftest> result(1, cuda::Secret::No);
  SM_CUDA_TRY(cudaMemset(result.get(), 0, sizeof(CudaDetailSelftest)));
  detail_selftest_kernel<<<1, 1>>>(in, result.get());
  SM_CUDA_CHECK_LAUNCH("detail_selftest_kernel");
  CudaDetailSelftest out{};
  SM_CUDA_TRY(cudaMemcpy(&out, result.get(), sizeof out, cudaMemcpyDeviceToHost));
  return out;
}

}  // namespace spheremask::internal
