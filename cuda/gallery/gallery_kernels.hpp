// Launchers of the resident gallery's own kernels (gallery_kernels.cu): the f16 hi/lo split of the
// probes for the tensor-core identification GEMM, and the gather that turns a batch's gallery indices
// into the verification inputs on the device. Each enqueues on `stream` and checks the launch.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace spheremask::cuda {

// hi[i], lo[i] (f16 bits) = split_element(t[i], scale) of split_product.hpp, for i < count.
void launch_split_probes(size_t count, float scale, const float* t, uint16_t* hi, uint16_t* lo, cudaStream_t stream);

// slot[i] of a verification batch: the record's place in the resident block, or kStreamedSlot | k for
// the k-th matrix of the streaming buffer.
constexpr uint32_t kStreamedSlot = 0x80000000u;

// For i < count, with r = index[i]: salts_out[16i..] = salts[16r..], verifiers_out[32i..] =
// verifiers[32r..], matrices[i] = the device address of that probe's P (resident or streamed, by slot[i]).
// f32 galleries (x, y not null): also x_out[i] = x + i·n and y_out[i] = y + i·n, the vector pointers
// of cublasSgemvBatched.
void launch_gather_verify(uint32_t count, uint32_t n, const uint32_t* index, const uint32_t* slot,
                          const uint8_t* salts, const uint8_t* verifiers, const uint8_t* resident_p,
                          const uint8_t* stream_p, size_t p_bytes, uint8_t* salts_out, uint8_t* verifiers_out,
                          void** matrices, const float* x, float* y, float** x_out, float** y_out,
                          cudaStream_t stream);

}  // namespace spheremask::cuda
