// The GEMM and SYRK argument sets of the expander's forward and trainer step (train_step.hpp), as plain
// data: BLAS libraries are column-major (cuBLAS only so), the net's matrices are row-major, and a
// row-major M is the column-major Mᵀ. The CPU ops run them through cblas with CblasColMajor and the CUDA
// ops through cuBLAS, so both backends execute the same argument sets; a CPU test
// (tests/expander/test_expander_train_gemms.cpp) checks each against naive row-major products.
#pragma once
#include <cstddef>
#include <cstdint>

namespace spheremask::internal {

// C = alpha·op(A)·op(B) (+ beta·C), all column-major: op(A) is m × k, op(B) is k × n, C is m × n.
struct ColMajorGemm {
  bool trans_a, trans_b;
  int m, n, k, lda, ldb, ldc;
};

// Upper triangle of C = op(A)·op(A)ᵀ, column-major n × n: element (i, j), i ≤ j, at C[i + j·ldc].
struct ColMajorSyrk {
  bool trans;
  int n, k, lda, ldc;
};

// Forward of a layer: row-major Z (count × rows) = X (count × cols) · Wᵀ, W row-major rows × cols.
// Operands: A = W, B = X, C = Z. Column-major: Zᵀ (rows × count) = W · Xᵀ, with W given as the
// column-major Wᵀ (cols × rows, ld cols, hence op T) and Xᵀ (cols × count, ld cols).
inline ColMajorGemm gemm_forward(uint32_t rows, uint32_t cols, size_t count) {
  return {true, false, int(rows), int(count), int(cols), int(cols), int(cols), int(rows)};
}

// Weight gradient: row-major dW (rows × cols) = dZᵀ · X with dZ row-major count × rows and X row-major
// count × cols. Operands: A = X, B = dZ, C = dW. Column-major: dWᵀ (cols × rows) = Xᵀ · dZ, with Xᵀ
// (cols × count, ld cols) and dZ given as the column-major dZᵀ (rows × count, ld rows, hence op T).
inline ColMajorGemm gemm_weight_grad(uint32_t rows, uint32_t cols, size_t count) {
  return {false, true, int(cols), int(rows), int(count), int(cols), int(rows), int(cols)};
}

// Input gradient: row-major dX (count × cols) = dZ (count × rows) · W (rows × cols).
// Operands: A = W, B = dZ, C = dX. Column-major: dXᵀ (cols × count) = Wᵀ · dZᵀ, with Wᵀ (cols × rows,
// ld cols) and dZᵀ (rows × count, ld rows), no transposes.
inline ColMajorGemm gemm_input_grad(uint32_t rows, uint32_t cols, size_t count) {
  return {false, false, int(cols), int(count), int(rows), int(cols), int(rows), int(cols)};
}

// Output gradient: row-major dY (count × n) = S (count × count, symmetric) · Y (count × n).
// Operands: A = Y, B = S, C = dY. Column-major: dYᵀ (n × count) = Yᵀ · Sᵀ = Yᵀ · S, with Yᵀ (n × count,
// ld n) and S (count × count, ld count; symmetric, so its layout does not matter).
inline ColMajorGemm gemm_output_grad(size_t count, uint32_t n) {
  return {false, false, int(n), int(count), int(count), int(n), int(count), int(n)};
}

// Gram matrix G (count × count) = X · Xᵀ of row-major X (count × k). Operands: A = X, C = G.
// Column-major: X is Xᵀ (k × count, ld k), so op T gives op(A) = X and C = X·Xᵀ; only the upper
// triangle is written: G(i, j), i ≤ j, at G[i + j·count].
inline ColMajorSyrk syrk_gram(size_t count, uint32_t k) { return {true, int(count), int(k), int(k), int(count)}; }

}  // namespace spheremask::internal
