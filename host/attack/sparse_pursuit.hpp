// Searches for a ±α-sparse unit vector (a codeword of C(n, α)) close to a known subspace, with the
// record's verifier as the oracle. Used by the structural inversion (invert.hpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <set>
#include <vector>

#include "spheremask/detail/codeword.hpp"
#include "spheremask/record.hpp"

namespace spheremask::attack {

// The record's public verifier as an oracle: a codeword is right iff its salted hash matches.
class VerifierOracle {
 public:
  explicit VerifierOracle(const Record& r) : record_(r) {}
  ~VerifierOracle();  // wipes the codewords it has seen (the right one among them)
  VerifierOracle(const VerifierOracle&) = delete;
  VerifierOracle& operator=(const VerifierOracle&) = delete;
  // Decodes y (n) to its nearest codeword and checks it and its negation (a pursuit started on the
  // wrong sign finds −c). On a match fills *out and returns true. Each distinct codeword is hashed once.
  bool check_vector(const float* y, detail::Codeword* out);
  bool check(const detail::Codeword& c, detail::Codeword* out);
  size_t checked() const { return checked_; }

 private:
  const Record& record_;
  std::set<std::vector<uint32_t>> seen_;
  size_t checked_ = 0;
};

// Greedy pursuit from every coordinate start j (support {j}, then α−1 times the off-support index that
// grows ‖Π·x‖ most, with the sign of (Π·x)_i). Π·x is updated by adding one row of Π per step, O(n)
// instead of a GEMV per step; the α-sparse results of all n starts are then polished together by
// alternating projection as GEMMs. proj: n×n projector onto the subspace (symmetric, row-major).
bool greedy_pursuit(const std::vector<float>& proj, uint32_t n, uint32_t alpha, int polish_iterations,
                    VerifierOracle& oracle, detail::Codeword* out);

// Alternating projection x <- decode(Π x), batched over the rows of `rows` (count × n) as GEMMs,
// until no row changes or `iterations` are done; every iterate is checked.
bool polish(const std::vector<float>& proj, uint32_t n, uint32_t alpha, std::vector<float> rows, size_t count,
            int iterations, VerifierOracle& oracle, detail::Codeword* out);

// L1: the sparsest direction of range(B) by alternating soft-thresholding (after Qu, Sun, Wright 2014),
// with a threshold that tightens from n/2 to α surviving entries, from the `starts` rows of B with the
// largest norms, all starts batched as GEMMs; rounded candidates are polished. basis: n×k row-major,
// orthonormal columns.
bool l1_pursuit(const std::vector<float>& basis, const std::vector<float>& proj, uint32_t n, uint32_t k,
                uint32_t alpha, size_t starts, int iterations, int polish_iterations, VerifierOracle& oracle,
                detail::Codeword* out);

}  // namespace spheremask::attack
