// How the GPU forms Q from the sampled Householder vectors (DESIGN §3), and the shapes of the compact-WY
// calls. Plain C++ (no CUDA headers): the CPU tests check the same choice and run the same call shapes
// through OpenBLAS, so the algebra of the GPU path is verified on machines without a GPU.
#pragma once
#include <cstdint>
#include <string>

#include "spheremask/detail/hd.hpp"
#include "spheremask/engine.hpp"
#include "spheremask/error.hpp"

namespace spheremask::cuda {

enum class HaarMethod { Orgqr, CompactWy };

// Up to this n the compact-WY path is used. cusolverDnSorgqr runs one matrix per call, so small n is
// launch-bound; WY is five batched calls per chunk but ~5n³ flop (VᵀV as a full GEMM, the solve, the
// update) against orgqr's (4/3)n³, so it loses once the GPU is FLOP-bound. Measured on an H200
// (bench/RESULTS.md, via EngineOptions::cuda_haar): WY enrolls 3.4× faster at n = 512 and 2.1× at 1024;
// n = 2048 is not measured yet, so the switch stays at 1024.
constexpr uint32_t kCompactWyMaxN = 1024;

// choice: EngineOptions::cuda_haar; Auto chooses by n, Orgqr or Wy force a path.
inline HaarMethod haar_method_for(uint32_t n, CudaHaar choice) {
  switch (choice) {
    case CudaHaar::Auto: return n <= kCompactWyMaxN ? HaarMethod::CompactWy : HaarMethod::Orgqr;
    case CudaHaar::Orgqr: return HaarMethod::Orgqr;
    case CudaHaar::Wy: return HaarMethod::CompactWy;
  }
  throw Error(ErrorCode::InvalidArgument,
              "EngineOptions.cuda_haar: unknown value " + std::to_string(unsigned(choice)) + " (Auto, Orgqr or Wy)");
}

// Compact WY for one column-major n×n Householder matrix A with k = n−1 reflectors (τ_{n−1} = 0: the last
// column holds the sign element, not a reflector, so it is left out):
//   V  = the first k columns of A (unit lower trapezoidal, zeros above the diagonal as filled), ld n;
//   S  = VᵀV (k×k, ld k), then T⁻¹ = diag(1/τ) + strictly-upper(S) formed in place;
//   X  = V·Tᵀ by the right-side solve X·(T⁻¹)ᵀ = V in place of a copy of V (X = Wᵀ for W = T·Vᵀ: solving
//        from the right gives W without transposing V);
//   Q  = I − V·Xᵀ (GEMM with β = 1 into an identity).
struct WyShapes {
  int n;                  // rows of V, X and Q
  int k;                  // reflectors: columns of V and X, order of S
  int ld_v, ld_s, ld_x, ld_q;
  long long stride_a;     // between matrices of A (and of Q): n·n
  long long stride_s;     // k·k
  long long stride_x;     // n·k
};

constexpr WyShapes wy_shapes(uint32_t n) {
  const int ni = int(n), k = int(n) - 1;
  return {ni, k, ni, k, ni, ni, (long long)ni * ni, (long long)k * k, (long long)ni * k};
}

// Element (row i, column j) of T⁻¹ where S holds s_ij; tau holds τ_0 … τ_{k−1}.
SM_HD inline float t_inverse_element(uint32_t i, uint32_t j, float s_ij, const float* tau) {
  return i < j ? s_ij : i == j ? 1.0f / tau[i] : 0.0f;
}

}  // namespace spheremask::cuda
