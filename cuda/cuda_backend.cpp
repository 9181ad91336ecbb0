// Backend::Cuda: batched enrollment, verification and identification on one GPU. This file is the
// orchestration (buffers, chunking, cuBLAS/cuSOLVER calls, transfers); the arithmetic is in the
// *_kernels.cu files and the shared detail/ headers.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backend_impl.hpp"
#include "cuda_check.hpp"
#include "cuda_raii.hpp"
#include "haar_gpu.hpp"
#include "kernels.hpp"
#include "launch_shapes.hpp"
#include "spheremask/error.hpp"
#include "spheremask/keys.hpp"
#include "staging.hpp"

namespace spheremask::internal {
namespace {

using cuda::DeviceBuffer;
using cuda::KeyWords;
using cuda::Secret;

constexpr size_t kSlackBytes = size_t(64) << 20;  // cuBLAS/cuSOLVER internals and fragmentation
constexpr size_t kMaxChunk = 4096;                // also keeps grid dimensions far below their limits

template <class T>
void wipe_host(std::vector<T>& v) {
  if (!v.empty()) secure_zero(v.data(), v.size() * sizeof(T));
}

template <class T>
void upload(T* dst, const T* src, size_t count, cudaStream_t stream) {
  if (count) SM_CUDA_TRY(cudaMemcpyAsync(dst, src, count * sizeof(T), cudaMemcpyHostToDevice, stream));
}
template <class T>
void download(T* dst, const T* src, size_t count, cudaStream_t stream) {
  if (count) SM_CUDA_TRY(cudaMemcpyAsync(dst, src, count * sizeof(T), cudaMemcpyDeviceToHost, stream));
}

std::string no_device_reason() {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();
    return std::string("no usable CUDA device: cudaGetDeviceCount: ") + cudaGetErrorName(err);
  }
  return "no CUDA device on this machine";
}

class CudaBackend final : public BackendImpl {
 public:
  explicit CudaBackend(const EngineOptions& options) : device_(options.device) {
    const int count = cuda_device_count_impl();
    if (count == 0) throw Error(ErrorCode::Unavailable, no_device_reason());
    if (device_ < 0 || device_ >= count)
      throw Error(ErrorCode::Unavailable, "CUDA device " + std::to_string(device_) + " requested, " +
                                              std::to_string(count) + " present");
    cuda::DeviceGuard guard(device_);
    cudaDeviceProp prop{};
    SM_CUDA_TRY(cudaGetDeviceProperties(&prop, device_));
    name_ = std::string(prop.name) + " (device " + std::to_string(device_) + ", cc " + std::to_string(prop.major) +
            "." + std::to_string(prop.minor) + ", " + std::to_string(prop.totalGlobalMem >> 20) + " MiB)";
    stream_ = std::make_unique<cuda::Stream>();
    blas_ = std::make_unique<cuda::CublasHandle>(stream_->get());
    solver_ = std::make_unique<cuda::CusolverHandle>(stream_->get());
    staging_ = std::make_unique<cuda::StagingRing>();
  }

  ~CudaBackend() override {
    SM_CUDA_TRY_NO_THROW(cudaSetDevice(device_));
    staging_.reset();
    solver_.reset();
    blas_.reset();
    stream_.reset();
  }

  Backend kind() const override { return Backend::Cuda; }
  std::string device_name() const override { return name_; }

  void enroll(std::span<const EnrollItem> items, uint32_t n, Dtype dtype, uint8_t* status) override {
    std::lock_guard<std::mutex> lock(mutex_);
    cuda::DeviceGuard guard(device_);
    const size_t nn = size_t(n) * n;
    const size_t per_item = nn * (2 * sizeof(float) + (dtype == Dtype::F16 ? 2 : 0)) + 8 * size_t(n) * sizeof(float) +
                            sizeof(detail::Codeword) + sizeof(KeyWords) + 16;
    const size_t fixed = cuda::orgqr_workspace_estimate_bytes(n) + kSlackBytes;
    for (size_t start = 0; start < items.size();) {
      const size_t chunk = cuda::items_per_chunk(free_bytes(), fixed, per_item, items.size() - start, kMaxChunk);
      if (chunk == 0) throw out_of_memory("enroll", n);
      enroll_chunk(items.subspan(start, chunk), n, dtype, status + start);
      start += chunk;
    }
  }

  void verify(std::span<const VerifyItem> items, uint32_t n, uint32_t alpha, Dtype dtype, uint8_t* match,
              detail::Codeword* matched) override {
    std::lock_guard<std::mutex> lock(mutex_);
    cuda::DeviceGuard guard(device_);
    const size_t nn = size_t(n) * n;
    const size_t per_item = nn * dtype_size(dtype) + 2 * size_t(n) * sizeof(float) + 16 + 32 + 1 +
                            sizeof(detail::Codeword);
    for (size_t start = 0; start < items.size();) {
      const size_t chunk = cuda::items_per_chunk(free_bytes(), kSlackBytes, per_item, items.size() - start, kMaxChunk);
      if (chunk == 0) throw out_of_memory("verify", n);
      verify_chunk(items.subspan(start, chunk), n, alpha, dtype, match + start, matched + start);
      start += chunk;
    }
  }

  std::vector<IdentifyHit> identify(std::span<const GalleryItem> gallery, const float* probes, size_t probe_count,
                                    uint32_t n, uint32_t alpha, Dtype dtype) override {
    std::lock_guard<std::mutex> lock(mutex_);
    cuda::DeviceGuard guard(device_);
    std::vector<IdentifyHit> hits;
    if (gallery.empty() || probe_count == 0) return hits;
    const size_t nn = size_t(n) * n;
    const size_t block = cuda::identify_probe_block(probe_count, n);
    const size_t per_record = nn * (dtype_size(dtype) + (dtype == Dtype::F16 ? sizeof(float) : 0)) +
                              block * n * sizeof(float) + 16 + 32;
    const size_t fixed = block * n * sizeof(float) + kInitialHitCapacity * sizeof(cuda::DeviceHit) + kSlackBytes;
    const size_t max_records = std::min<size_t>(kMaxChunk, size_t(0x7fffffff) / block);  // grid.x = records·block
    for (size_t start = 0; start < gallery.size();) {
      const size_t chunk = cuda::items_per_chunk(free_bytes(), fixed, per_record, gallery.size() - start, max_records);
      if (chunk == 0) throw out_of_memory("identify", n);
      identify_chunk(gallery.subspan(start, chunk), uint32_t(start), probes, probe_count, block, n, alpha, dtype, hits);
      start += chunk;
    }
    std::sort(hits.begin(), hits.end(), [](const IdentifyHit& x, const IdentifyHit& y) {
      return x.probe != y.probe ? x.probe < y.probe : x.record < y.record;
    });
    return hits;
  }

  void haar(const uint8_t key[32], uint32_t n, float* q) override {
    std::lock_guard<std::mutex> lock(mutex_);
    cuda::DeviceGuard guard(device_);
    const size_t nn = size_t(n) * n;
    cudaStream_t s = stream_->get();
    std::vector<KeyWords> keys(1);
    detail::key_words(key, keys[0].w);
    DeviceBuffer<KeyWords> d_keys(1, Secret::Yes);
    DeviceBuffer<float> d_a(nn, Secret::Yes), d_tau(n, Secret::Yes), d_sign(n, Secret::Yes);
    DeviceBuffer<int> d_info(1, Secret::No);
    upload(d_keys.get(), keys.data(), 1, s);
    cuda::form_haar(solver_->get(), s, d_keys.get(), 1, n, {d_a.get(), d_tau.get(), d_sign.get(), d_info.get()});
    std::vector<float> column_major(nn);
    download(column_major.data(), d_a.get(), nn, s);
    cuda::check_orgqr_info(d_info.get(), 1, s);  // synchronizes
    wipe_host(keys);
    for (uint32_t i = 0; i < n; ++i)
      for (uint32_t j = 0; j < n; ++j) q[size_t(i) * n + j] = column_major[i + size_t(j) * n];
    wipe_host(column_major);
  }

  void gaussian(const uint8_t key[32], uint64_t first, size_t count, float* out) override {
    std::lock_guard<std::mutex> lock(mutex_);
    cuda::DeviceGuard guard(device_);
    if (count == 0) return;
    cudaStream_t s = stream_->get();
    KeyWords kw{};
    detail::key_words(key, kw.w);
    DeviceBuffer<float> d_out(count, Secret::Yes);
    cuda::launch_gaussian_range(kw, first, count, d_out.get(), s);
    secure_zero(kw.w, sizeof kw.w);
    download(out, d_out.get(), count, s);
    stream_->synchronize();
  }

 private:
  static constexpr size_t kInitialHitCapacity = 4096;

  size_t free_bytes() const {
    size_t free = 0, total = 0;
    SM_CUDA_TRY(cudaMemGetInfo(&free, &total));
    return free;
  }

  static Error out_of_memory(const char* op, uint32_t n) {
    return Error(ErrorCode::Backend, std::string(op) + ": not enough free device memory for one n=" +
                                         std::to_string(n) + " matrix: cudaErrorMemoryAllocation");
  }

  void enroll_chunk(std::span<const EnrollItem> items, uint32_t n, Dtype dtype, uint8_t* status) {
    const uint32_t count = uint32_t(items.size());
    const size_t nn = size_t(n) * n;
    cudaStream_t s = stream_->get();
    std::vector<KeyWords> keys(count);
    std::vector<float> t(size_t(count) * n);
    std::vector<detail::Codeword> codewords(count);
    for (uint32_t i = 0; i < count; ++i) {
      detail::key_words(items[i].key_q, keys[i].w);
      std::memcpy(t.data() + size_t(i) * n, items[i].u, n * sizeof(float));
      codewords[i] = *items[i].c;
    }
    DeviceBuffer<KeyWords> d_keys(count, Secret::Yes);
    DeviceBuffer<float> d_q(count * nn, Secret::Yes), d_tau(size_t(count) * n, Secret::Yes),
        d_sign(size_t(count) * n, Secret::Yes);
    DeviceBuffer<int> d_info(count, Secret::No);
    DeviceBuffer<float> d_t(size_t(count) * n, Secret::Yes), d_u(size_t(count) * n, Secret::Yes),
        d_w(size_t(count) * n, Secret::Yes), d_av(size_t(count) * n, Secret::Yes),
        d_bv(size_t(count) * n, Secret::Yes), d_y(size_t(count) * n, Secret::Yes);
    DeviceBuffer<detail::Codeword> d_c(count, Secret::Yes);
    DeviceBuffer<uint8_t> d_status(count, Secret::No);
    DeviceBuffer<float> d_p(count * nn, Secret::No);
    DeviceBuffer<uint16_t> d_p16(dtype == Dtype::F16 ? count * nn : 0, Secret::No);

    upload(d_keys.get(), keys.data(), count, s);
    upload(d_t.get(), t.data(), t.size(), s);
    upload(d_c.get(), codewords.data(), count, s);
    cuda::form_haar(solver_->get(), s, d_keys.get(), count, n, {d_q.get(), d_tau.get(), d_sign.get(), d_info.get()});
    const float one = 1.0f, zero = 0.0f;
    const int ni = int(n);
    const long long stride_m = (long long)nn, stride_v = n;
    // u = Q t (Q column-major).
    SM_CUBLAS_TRY(cublasSgemvStridedBatched(blas_->get(), CUBLAS_OP_N, ni, ni, &one, d_q.get(), ni, stride_m,
                                            d_t.get(), 1, stride_v, &zero, d_u.get(), 1, stride_v, int(count)));
    cuda::launch_rotation_vectors(count, n, d_q.get(), d_t.get(), d_u.get(), d_c.get(), d_w.get(), d_av.get(),
                                  d_bv.get(), d_status.get(), s);
    cuda::launch_form_p(count, n, d_q.get(), d_u.get(), d_w.get(), d_av.get(), d_bv.get(), d_status.get(), d_p.get(), s);
    d_q.zero(s);  // Q is secret (it reveals c through R = P·Qᵀ); P no longer needs it
    // y = P t: row-major P is column-major Pᵀ, hence OP_T.
    SM_CUBLAS_TRY(cublasSgemvStridedBatched(blas_->get(), CUBLAS_OP_T, ni, ni, &one, d_p.get(), ni, stride_m,
                                            d_t.get(), 1, stride_v, &zero, d_y.get(), 1, stride_v, int(count)));
    cuda::launch_rotation_check(count, n, d_y.get(), d_c.get(), d_status.get(), s);
    if (dtype == Dtype::F16) cuda::launch_to_half(count * nn, d_p.get(), d_p16.get(), s);

    std::vector<uint8_t> st(count);
    download(st.data(), d_status.get(), count, s);
    std::vector<void*> dst(count);
    for (uint32_t i = 0; i < count; ++i) dst[i] = items[i].p_out;
    const void* src = dtype == Dtype::F16 ? static_cast<const void*>(d_p16.get()) : static_cast<const void*>(d_p.get());
    staging_->download(src, nn * dtype_size(dtype), dst, s);
    cuda::check_orgqr_info(d_info.get(), count, s);  // synchronizes
    std::memcpy(status, st.data(), count);
    wipe_host(keys);
    wipe_host(t);
    for (auto& c : codewords) c.wipe();
  }

  void verify_chunk(std::span<const VerifyItem> items, uint32_t n, uint32_t alpha, Dtype dtype, uint8_t* match,
                    detail::Codeword* matched) {
    const uint32_t count = uint32_t(items.size());
    const size_t nn = size_t(n) * n;
    const size_t p_bytes = nn * dtype_size(dtype);
    cudaStream_t s = stream_->get();
    std::vector<float> t(size_t(count) * n);
    std::vector<uint8_t> salts(size_t(count) * 16), verifiers(size_t(count) * 32);
    std::vector<const void*> p_src(count);
    for (uint32_t i = 0; i < count; ++i) {
      std::memcpy(t.data() + size_t(i) * n, items[i].probe, n * sizeof(float));
      std::memcpy(salts.data() + size_t(i) * 16, items[i].salt, 16);
      std::memcpy(verifiers.data() + size_t(i) * 32, items[i].verifier, 32);
      p_src[i] = items[i].p;
    }
    DeviceBuffer<uint8_t> d_p(count * p_bytes, Secret::No);
    DeviceBuffer<float> d_t(size_t(count) * n, Secret::Yes), d_y(size_t(count) * n, Secret::Yes);
    DeviceBuffer<uint8_t> d_salts(salts.size(), Secret::No), d_verifiers(verifiers.size(), Secret::No),
        d_match(count, Secret::No);
    DeviceBuffer<detail::Codeword> d_c(count, Secret::Yes);
    d_c.zero(s);
    staging_->upload(p_src, p_bytes, d_p.get(), s);
    upload(d_t.get(), t.data(), t.size(), s);
    upload(d_salts.get(), salts.data(), salts.size(), s);
    upload(d_verifiers.get(), verifiers.data(), verifiers.size(), s);
    project(d_p.get(), dtype, n, count, d_t.get(), d_y.get());
    cuda::launch_verify_decode(count, n, alpha, d_y.get(), d_salts.get(), d_verifiers.get(), d_match.get(), d_c.get(), s);
    std::vector<uint8_t> m(count);
    std::vector<detail::Codeword> c(count);
    download(m.data(), d_match.get(), count, s);
    download(c.data(), d_c.get(), count, s);
    stream_->synchronize();
    for (uint32_t i = 0; i < count; ++i) {
      match[i] = m[i];
      if (m[i]) matched[i] = c[i];
      c[i].wipe();
    }
    wipe_host(t);
  }

  // y_i = P_i t_i for `count` row-major matrices of dtype.
  void project(const uint8_t* p, Dtype dtype, uint32_t n, uint32_t count, const float* t, float* y) {
    const size_t nn = size_t(n) * n;
    if (dtype == Dtype::F16) {
      cuda::launch_gemv_f16(count, n, reinterpret_cast<const uint16_t*>(p), t, y, stream_->get());
      return;
    }
    const float one = 1.0f, zero = 0.0f;
    const int ni = int(n);
    SM_CUBLAS_TRY(cublasSgemvStridedBatched(blas_->get(), CUBLAS_OP_T, ni, ni, &one, reinterpret_cast<const float*>(p),
                                            ni, (long long)nn, t, 1, ni, &zero, y, 1, ni, int(count)));
  }

  void identify_chunk(std::span<const GalleryItem> gallery, uint32_t record_base, const float* probes,
                      size_t probe_count, size_t block, uint32_t n, uint32_t alpha, Dtype dtype,
                      std::vector<IdentifyHit>& hits) {
    const uint32_t records = uint32_t(gallery.size());
    const size_t nn = size_t(n) * n;
    const size_t p_bytes = nn * dtype_size(dtype);
    cudaStream_t s = stream_->get();
    std::vector<uint8_t> salts(size_t(records) * 16), verifiers(size_t(records) * 32);
    std::vector<const void*> p_src(records);
    for (uint32_t r = 0; r < records; ++r) {
      std::memcpy(salts.data() + size_t(r) * 16, gallery[r].salt, 16);
      std::memcpy(verifiers.data() + size_t(r) * 32, gallery[r].verifier, 32);
      p_src[r] = gallery[r].p;
    }
    DeviceBuffer<uint8_t> d_p(records * p_bytes, Secret::No);
    DeviceBuffer<float> d_p32(dtype == Dtype::F16 ? records * nn : 0, Secret::No);
    DeviceBuffer<uint8_t> d_salts(salts.size(), Secret::No), d_verifiers(verifiers.size(), Secret::No);
    DeviceBuffer<float> d_t(block * n, Secret::Yes), d_y(records * block * n, Secret::Yes);
    DeviceBuffer<uint32_t> d_count(1, Secret::No);
    DeviceBuffer<cuda::DeviceHit> d_hits(kInitialHitCapacity, Secret::Yes);
    staging_->upload(p_src, p_bytes, d_p.get(), s);
    upload(d_salts.get(), salts.data(), salts.size(), s);
    upload(d_verifiers.get(), verifiers.data(), verifiers.size(), s);
    const float* p32 = reinterpret_cast<const float*>(d_p.get());
    if (dtype == Dtype::F16) {  // GEMM in f32 on an expanded copy (exactly the values the CPU multiplies)
      cuda::launch_to_float(records * nn, reinterpret_cast<const uint16_t*>(d_p.get()), d_p32.get(), s);
      p32 = d_p32.get();
    }
    const float one = 1.0f, zero = 0.0f;
    const int ni = int(n);
    for (size_t b0 = 0; b0 < probe_count; b0 += block) {
      const uint32_t bs = uint32_t(std::min(block, probe_count - b0));
      upload(d_t.get(), probes + b0 * n, size_t(bs) * n, s);
      // Y_r (n × bs, column b = P_r t_b) = P_r T: P_r row-major is column-major P_rᵀ, hence OP_T; T is shared.
      SM_CUBLAS_TRY(cublasSgemmStridedBatched(blas_->get(), CUBLAS_OP_T, CUBLAS_OP_N, ni, int(bs), ni, &one, p32, ni,
                                              (long long)nn, d_t.get(), ni, 0, &zero, d_y.get(), ni,
                                              (long long)n * bs, int(records)));
      uint32_t found = decode_hits(records, bs, n, alpha, d_y.get(), d_salts.get(), d_verifiers.get(), record_base,
                                   uint32_t(b0), d_hits, d_count);
      if (found > d_hits.size()) {  // more matches than slots: grow and decode this block again
        d_hits = DeviceBuffer<cuda::DeviceHit>(found, Secret::Yes);
        found = decode_hits(records, bs, n, alpha, d_y.get(), d_salts.get(), d_verifiers.get(), record_base,
                            uint32_t(b0), d_hits, d_count);
      }
      std::vector<cuda::DeviceHit> host(found);
      download(host.data(), d_hits.get(), found, s);
      stream_->synchronize();
      for (auto& h : host) {
        hits.push_back({h.record, h.probe, h.codeword});
        h.codeword.wipe();
      }
    }
  }

  // Runs the identification decode over Y and returns the number of matches (synchronizes).
  uint32_t decode_hits(uint32_t records, uint32_t probes, uint32_t n, uint32_t alpha, const float* y,
                       const uint8_t* salts, const uint8_t* verifiers, uint32_t record_base, uint32_t probe_base,
                       const DeviceBuffer<cuda::DeviceHit>& hits, const DeviceBuffer<uint32_t>& count) {
    cudaStream_t s = stream_->get();
    count.zero(s);
    cuda::launch_identify_decode(records, probes, n, alpha, y, salts, verifiers, record_base, probe_base, hits.get(),
                                 uint32_t(hits.size()), count.get(), s);
    uint32_t found = 0;
    download(&found, count.get(), 1, s);
    stream_->synchronize();
    return found;
  }

  int device_;
  std::string name_;
  std::mutex mutex_;
  std::unique_ptr<cuda::Stream> stream_;
  std::unique_ptr<cuda::CublasHandle> blas_;
  std::unique_ptr<cuda::CusolverHandle> solver_;
  std::unique_ptr<cuda::StagingRing> staging_;
};

}  // namespace

std::unique_ptr<BackendImpl> make_cuda_backend(const EngineOptions& options) {
  return std::make_unique<CudaBackend>(options);
}

}  // namespace spheremask::internal
