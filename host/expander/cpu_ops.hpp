// The CPU back end of the expander's body passes and trainer step (train_step.hpp): host vectors,
// OpenBLAS for the GEMMs (column-major, as train_gemms.hpp states them) and serial loops over the
// per-element math of spheremask/detail/te_math.hpp for the kernels. "Upload" and "download" are copies.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "expander/expander_net.hpp"
#include "expander/train_gemms.hpp"
#include "spheremask/detail/te_math.hpp"

namespace spheremask::internal {

class CpuTeOps {
 public:
  template <class T>
  struct Buffer {
    std::vector<T> v;
    T* get() const { return const_cast<T*>(v.data()); }
    size_t size() const { return v.size(); }
  };
  template <class T>
  Buffer<T> make(size_t count) {
    Buffer<T> b;
    b.v.resize(count);
    return b;
  }
  void reserve(size_t, const std::string&) {}  // host memory: a failed allocation throws std::bad_alloc
  void upload(float* dst, const float* src, size_t count) { std::copy(src, src + count, dst); }
  template <class T>
  void download(T* dst, const T* src, size_t count) { std::copy(src, src + count, dst); }
  template <class T>
  void zero(T* p, size_t count) { std::fill(p, p + count, T(0)); }
  void synchronize() {}

  void gemm(const ColMajorGemm& g, float alpha, const float* a, const float* b, float* c);
  void syrk(const ColMajorSyrk& g, const float* a, float* c);
  void axpy(size_t count, float alpha, const float* x, float* y);

  // Row r of y = N(fold(act(z_r))), norm[r] = ‖fold(act(z_r))‖ summed in element order.
  void activate(size_t count, uint32_t len, TeAct act, bool fold, const float* z, float* y, float* norm);
  // s = W∘D (full, symmetric) and partial[i] = Σ_j wt·diff² of row i, in element order.
  void gram_weights(size_t count, const detail::GramArgs& g, const float* gin, const float* gout, float* s,
                    double* partial);
  void layer_backward(size_t count, uint32_t len, TeAct act, bool fold, const float* dy, const float* y,
                      const float* norm, const float* z, float* dz);
  void adam(size_t count, const detail::AdamStep& a, const float* g, float* m, float* v, float* p);
  void flag_nonfinite(size_t count, const float* p, int* flag);
};

}  // namespace spheremask::internal
