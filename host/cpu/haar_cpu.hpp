// Haar-distributed orthogonal Q on the CPU by Stewart's method (DESIGN §3): Householder vectors
// sampled directly from the ChaCha20 Gaussian stream, Q formed by LAPACKE sorgqr, then the sign fix.
#pragma once
#include <cstdint>
#include <vector>

namespace spheremask::internal {

class HaarWorkspace {
 public:
  explicit HaarWorkspace(uint32_t n);
  ~HaarWorkspace();
  HaarWorkspace(const HaarWorkspace&) = delete;
  HaarWorkspace& operator=(const HaarWorkspace&) = delete;

  // Q, column-major n×n (so the buffer read row-major is Qᵀ). Valid until the next call.
  const float* generate(const uint8_t key[32]);
  uint32_t n() const { return n_; }

 private:
  uint32_t n_;
  std::vector<float> a_;     // Householder vectors in, Q out (column-major)
  std::vector<float> tau_;
  std::vector<float> sign_;
  std::vector<float> work_;
};

// Stewart's Householder vectors of key (DESIGN §3): column k < n−1 of the column-major n×n array a holds
// v_k in rows k.. (v_k[k] = 1; rows above are left untouched), with τ_k and sign(β_k); τ_{n−1} = 0 and
// sign[n−1] from the element (n−1)·n. The caller wipes a, tau and sign.
void householder_vectors(const uint8_t key[32], uint32_t n, float* a, float* tau, float* sign);

// Q row-major (for tests and the CPU backend's haar()).
void haar_row_major(const uint8_t key[32], uint32_t n, float* q);

}  // namespace spheremask::internal
