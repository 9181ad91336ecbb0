// The attacker's linear model of a public template expander (DESIGN §3, "Structural inversion"):
// the best k-dimensional subspace of its outputs (where every codeword of a key-less record lies close
// to, after the record's rotation), an affine fit TE(t) ≈ L·t + b with its pseudo-inverse for pulling a
// recovered code-space vector back to a template, and the output mean (the "mean leak").
// Fitted once per expander on seeded, non-secret random unit inputs.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "spheremask/expander.hpp"

namespace spheremask::attack {

struct TeModel {
  uint32_t m = 0, n = 0;
  uint32_t k = 0;               // subspace dimension (m + 1: the affine span)
  std::vector<float> basis;     // n×k row-major, orthonormal columns: top-k principal directions of outputs
  std::vector<float> l_pinv;    // m×n row-major: (LᵀL + μI)⁻¹Lᵀ of the affine fit (μ: a 1e-4 relative ridge)
  std::vector<float> offset;    // n: b of the affine fit
  std::vector<float> mean;      // n: mean unit output
  double outside_energy = 0;    // share of output energy outside the k-dim subspace
  double affine_residual = 0;   // ‖Y − (T Lᵀ + 1bᵀ)‖_F / ‖Y‖_F on the fit samples
};

// samples = 0: max(2048, 4·(m+1)). Throws Error{InvalidArgument} when m + 1 ≥ n (no proper subspace).
TeModel fit_te_model(const Expander& e, uint64_t seed = 1, size_t samples = 0);

}  // namespace spheremask::attack
