// Backend::Cuda: batched enrollment, verification and identification on one GPU. This file is the
// orchestration (buffers, chunking, cuBLAS/cuSOLVER calls, transfers); the arithmetic is in the
// *_kernels.cu files and the shared detail/ headers; galleries live in resident_gallery.cpp.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend_impl.hpp"
#include "cuda/core/cuda_check.hpp"
#include "cuda/core/cuda_raii.hpp"
#include "cuda/core/device_context.hpp"
#include "cuda/decode/device_decode.hpp"
#include "cuda/expander/expander_forward.hpp"
#include "cuda/format/device_chunk_digests.hpp"
#include "cuda/haar/haar_gpu.hpp"
#include "cuda/core/kernels.hpp"
#include "cuda/core/launch_shapes.hpp"
#include "util/parallel.hpp"
#include "cuda/gallery/resident_gallery.hpp"
#include "spheremask/detail/chunk_sha256.hpp"
#include "spheremask/error.hpp"
#include "spheremask/keys.hpp"
#include "cuda/core/staging.hpp"

namespace spheremask::internal {
namespace {

using cuda::ContextScope;
using cuda::DeviceBuffer;
using cuda::download;
using cuda::KeyWords;
using cuda::Secret;
using cuda::upload;
using cuda::upload_secret;
using cuda::download_secret;
using cuda::wipe_host;

constexpr size_t kMaxChunk = 4096;  // also keeps grid dimensions far below their limits
static_assert(kMaxChunk <= 65535, "chunk sizes are used as grid.y/z");

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
  explicit CudaBackend(const EngineOptions& options)
      : haar_(options.cuda_haar),
        gallery_cap_bytes_(options.gallery_cap_bytes),
        hash_on_device_(options.cuda_chunk_hash_on_device) {
    cuda::haar_method_for(0, haar_);  // an unknown choice fails here, before any device work
    const int device = options.device;
    const int count = cuda_device_count_impl();
    if (count == 0) throw Error(ErrorCode::Unavailable, no_device_reason());
    if (device < 0 || device >= count)
      throw Error(ErrorCode::Unavailable, "CUDA device " + std::to_string(device) + " requested, " +
                                              std::to_string(count) + " present");
    cuda::DeviceGuard guard(device);
    cudaDeviceProp prop{};
    SM_CUDA_TRY(cudaGetDeviceProperties(&prop, device));
    name_ = std::string(prop.name) + " (device " + std::to_string(device) + ", cc " + std::to_string(prop.major) +
            "." + std::to_string(prop.minor) + ", " + std::to_string(prop.totalGlobalMem >> 20) + " MiB)";
    ctx_ = std::make_shared<cuda::DeviceContext>(device, resolve_threads(options.threads));
    tensor_cores_ = options.identify_tensor_cores;
  }

  Backend kind() const override { return Backend::Cuda; }
  bool hashes_chunks() const override { return hash_on_device_; }
  std::string device_name() const override { return name_; }

  void enroll(std::span<const EnrollItem> items, uint32_t n, Dtype dtype, uint8_t* status) override {
    ContextScope scope(*ctx_);
    const cuda::HaarMethod method = cuda::haar_method_for(n, haar_);
    const size_t nn = size_t(n) * n;
    const size_t per_item = nn * (2 * sizeof(float) + (dtype == Dtype::F16 ? 2 : 0)) + 8 * size_t(n) * sizeof(float) +
                            sizeof(detail::Codeword) + sizeof(KeyWords) + 16 + cuda::haar_bytes_per_matrix(n, method) +
                            32 * detail::digest_chunk_count(nn * dtype_size(dtype));
    const size_t fixed = cuda::haar_fixed_bytes(n, method) + cuda::kDeviceSlackBytes;
    for (size_t start = 0; start < items.size();) {
      const size_t chunk =
          cuda::items_per_chunk(cuda::free_device_bytes(), fixed, per_item, items.size() - start, kMaxChunk);
      if (chunk == 0) throw cuda::out_of_device_memory("enroll", n);
      enroll_chunk(items.subspan(start, chunk), n, dtype, method, status + start);
      start += chunk;
    }
  }

  void verify(std::span<const VerifyItem> items, uint32_t n, uint32_t alpha, Dtype dtype, uint8_t* match,
              detail::Codeword* matched) override {
    ContextScope scope(*ctx_);
    const size_t nn = size_t(n) * n;
    const size_t per_item = nn * dtype_size(dtype) + 2 * size_t(n) * sizeof(float) + 16 + 32 + 1 +
                            sizeof(detail::Codeword) + 32 * detail::digest_chunk_count(nn * dtype_size(dtype));
    for (size_t start = 0; start < items.size();) {
      const size_t chunk = cuda::items_per_chunk(cuda::free_device_bytes(), cuda::kDeviceSlackBytes, per_item,
                                                 items.size() - start, kMaxChunk);
      if (chunk == 0) throw cuda::out_of_device_memory("verify", n);
      verify_chunk(items.subspan(start, chunk), n, alpha, dtype, match + start, matched + start);
      start += chunk;
    }
  }

  // One call's worth of the resident gallery: upload (what fits), one pass, free.
  std::vector<IdentifyHit> identify(std::span<const GalleryItem> gallery, const float* probes, size_t probe_count,
                                    uint32_t n, uint32_t alpha, Dtype dtype) override {
    if (gallery.empty() || probe_count == 0) return {};
    return cuda::make_resident_gallery(ctx_, gallery, n, dtype, gallery_cap_bytes_, tensor_cores_)->identify(probes, probe_count, alpha);
  }

  std::unique_ptr<ResidentGallery> make_gallery(std::span<const GalleryItem> items, uint32_t n, Dtype dtype) override {
    return cuda::make_resident_gallery(ctx_, items, n, dtype, gallery_cap_bytes_, tensor_cores_);
  }

  void expand(const Expander& e, const float* in, size_t count, float* out) override {
    expander_cache_.forward(*ctx_, e, in, count, out);
  }

  void haar(const uint8_t key[32], uint32_t n, float* q) override {
    ContextScope scope(*ctx_);
    const size_t nn = size_t(n) * n;
    cudaStream_t s = ctx_->stream();
    std::vector<KeyWords> keys(1);
    std::vector<float> column_major(nn);
    const cuda::OnScopeExit wipe([&] {
      wipe_host(keys);
      wipe_host(column_major);
    });
    detail::key_words(key, keys[0].w);
    DeviceBuffer<KeyWords> d_keys(1, Secret::Yes);
    DeviceBuffer<float> d_a(nn, Secret::Yes), d_tau(n, Secret::Yes), d_sign(n, Secret::Yes);
    DeviceBuffer<int> d_info(1, Secret::No);
    upload_secret(*ctx_, d_keys.get(), keys.data(), 1);
    cuda::form_haar(ctx_->blas(), ctx_->solver(), s, d_keys.get(), 1, n, cuda::haar_method_for(n, haar_),
                    {d_a.get(), d_tau.get(), d_sign.get(), d_info.get()});
    download_secret(*ctx_, column_major.data(), d_a.get(), nn);
    cuda::check_orgqr_info(d_info.get(), 1, s);  // synchronizes
    for (uint32_t i = 0; i < n; ++i)
      for (uint32_t j = 0; j < n; ++j) q[size_t(i) * n + j] = column_major[i + size_t(j) * n];
  }

  void gaussian(const uint8_t key[32], uint64_t first, size_t count, float* out) override {
    ContextScope scope(*ctx_);
    if (count == 0) return;
    cudaStream_t s = ctx_->stream();
    KeyWords kw{};
    detail::key_words(key, kw.w);
    DeviceBuffer<float> d_out(count, Secret::Yes);
    cuda::launch_gaussian_range(kw, first, count, d_out.get(), s);
    secure_zero(kw.w, sizeof kw.w);
    download_secret(*ctx_, out, d_out.get(), count);
  }

 private:
  void enroll_chunk(std::span<const EnrollItem> items, uint32_t n, Dtype dtype, cuda::HaarMethod method,
                    uint8_t* status) {
    const uint32_t count = uint32_t(items.size());
    const size_t nn = size_t(n) * n;
    cudaStream_t s = ctx_->stream();
    cublasHandle_t blas = ctx_->blas();
    std::vector<KeyWords> keys(count);
    std::vector<float> t(size_t(count) * n);
    std::vector<detail::Codeword> codewords(count);
    const cuda::OnScopeExit wipe([&] {
      wipe_host(keys);
      wipe_host(t);
      for (auto& c : codewords) c.wipe();
    });
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

    upload_secret(*ctx_, d_keys.get(), keys.data(), count);
    upload_secret(*ctx_, d_t.get(), t.data(), t.size());
    upload_secret(*ctx_, d_c.get(), codewords.data(), count);
    cuda::form_haar(blas, ctx_->solver(), s, d_keys.get(), count, n, method,
                    {d_q.get(), d_tau.get(), d_sign.get(), d_info.get()});
    const float one = 1.0f, zero = 0.0f;
    const int ni = int(n);
    const long long stride_m = (long long)nn, stride_v = n;
    // u = Q t (Q column-major).
    SM_CUBLAS_TRY(cublasSgemvStridedBatched(blas, CUBLAS_OP_N, ni, ni, &one, d_q.get(), ni, stride_m, d_t.get(), 1,
                                            stride_v, &zero, d_u.get(), 1, stride_v, int(count)));
    cuda::launch_rotation_vectors(count, n, d_q.get(), d_t.get(), d_u.get(), d_c.get(), d_w.get(), d_av.get(),
                                  d_bv.get(), d_status.get(), s);
    cuda::launch_form_p(count, n, d_q.get(), d_u.get(), d_w.get(), d_av.get(), d_bv.get(), d_status.get(), d_p.get(), s);
    d_q.zero(s);  // Q is secret (it reveals c through R = P·Qᵀ); P no longer needs it
    // y = P t: row-major P is column-major Pᵀ, hence OP_T.
    SM_CUBLAS_TRY(cublasSgemvStridedBatched(blas, CUBLAS_OP_T, ni, ni, &one, d_p.get(), ni, stride_m, d_t.get(), 1,
                                            stride_v, &zero, d_y.get(), 1, stride_v, int(count)));
    cuda::launch_rotation_check(count, n, d_y.get(), d_c.get(), d_status.get(), s);
    if (dtype == Dtype::F16) cuda::launch_to_half(count * nn, d_p.get(), d_p16.get(), s);
    const void* src = dtype == Dtype::F16 ? static_cast<const void*>(d_p16.get()) : static_cast<const void*>(d_p.get());
    // The SMHD v2 chunk digests of P, hashed here where P is: the host then only hashes the root.
    const size_t p_bytes = nn * dtype_size(dtype);
    const size_t chunks = detail::digest_chunk_count(p_bytes);
    const bool want_digests = std::any_of(items.begin(), items.end(), [](const EnrollItem& it) { return it.digests_out; });
    DeviceBuffer<uint8_t> d_digests(want_digests ? size_t(count) * chunks * 32 : 0, Secret::No);
    if (want_digests) cuda::launch_chunk_digests(static_cast<const uint8_t*>(src), p_bytes, count, d_digests.get(), s);

    std::vector<uint8_t> st(count);
    download(st.data(), d_status.get(), count, s);
    std::vector<void*> dst(count);
    for (uint32_t i = 0; i < count; ++i) dst[i] = items[i].p_out;
    ctx_->staging().download(src, p_bytes, dst, s);
    cuda::check_orgqr_info(d_info.get(), count, s);  // synchronizes
    std::memcpy(status, st.data(), count);
    std::vector<uint8_t> digests(d_digests.size());
    download(digests.data(), d_digests.get(), digests.size(), s);
    if (!digests.empty()) ctx_->synchronize();
    for (uint32_t i = 0; i < count; ++i)  // a P not formed (status not Ok) was not hashed either
      if (items[i].digests_out && st[i] == kEnrollOk)
        std::memcpy(items[i].digests_out, digests.data() + size_t(i) * chunks * 32, chunks * 32);
  }

  void verify_chunk(std::span<const VerifyItem> items, uint32_t n, uint32_t alpha, Dtype dtype, uint8_t* match,
                    detail::Codeword* matched) {
    const uint32_t count = uint32_t(items.size());
    const size_t nn = size_t(n) * n;
    const size_t p_bytes = nn * dtype_size(dtype);
    cudaStream_t s = ctx_->stream();
    std::vector<float> t(size_t(count) * n);
    const cuda::OnScopeExit wipe([&] { wipe_host(t); });
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
    ctx_->staging().upload(p_src, p_bytes, d_p.get(), s);
    // Records whose checksum parse deferred: the chunk digests of the very P uploaded here (the engine
    // settles the root before any decision).
    const size_t chunks = detail::digest_chunk_count(p_bytes);
    const bool want_digests = std::any_of(items.begin(), items.end(), [](const VerifyItem& it) { return it.digests_out; });
    DeviceBuffer<uint8_t> d_digests(want_digests ? size_t(count) * chunks * 32 : 0, Secret::No);
    if (want_digests) cuda::launch_chunk_digests(d_p.get(), p_bytes, count, d_digests.get(), s);
    upload_secret(*ctx_, d_t.get(), t.data(), t.size());
    project(d_p.get(), dtype, n, count, d_t.get(), d_y.get());
    cuda::verify_rows(*ctx_, count, n, alpha, d_y.get(), salts, verifiers, match, matched);  // synchronizes
    std::vector<uint8_t> digests(d_digests.size());
    download(digests.data(), d_digests.get(), digests.size(), s);
    if (!digests.empty()) ctx_->synchronize();
    for (uint32_t i = 0; i < count; ++i)
      if (items[i].digests_out) std::memcpy(items[i].digests_out, digests.data() + size_t(i) * chunks * 32, chunks * 32);
  }

  // y_i = P_i t_i for `count` contiguous row-major matrices of dtype.
  void project(const uint8_t* p, Dtype dtype, uint32_t n, uint32_t count, const float* t, float* y) {
    const size_t nn = size_t(n) * n;
    if (dtype == Dtype::F16) {
      cuda::launch_gemv_f16(count, n, reinterpret_cast<const uint16_t*>(p), t, y, ctx_->stream());
      return;
    }
    const float one = 1.0f, zero = 0.0f;
    const int ni = int(n);
    SM_CUBLAS_TRY(cublasSgemvStridedBatched(ctx_->blas(), CUBLAS_OP_T, ni, ni, &one, reinterpret_cast<const float*>(p),
                                            ni, (long long)nn, t, 1, ni, &zero, y, 1, ni, int(count)));
  }

  CudaHaar haar_;             // how Q is formed (EngineOptions::cuda_haar)
  size_t gallery_cap_bytes_;  // device bytes for a resident gallery's P, 0 = no cap
  std::string name_;
  bool tensor_cores_ = false;                 // EngineOptions::identify_tensor_cores
  bool hash_on_device_;                       // EngineOptions::cuda_chunk_hash_on_device
  std::shared_ptr<cuda::DeviceContext> ctx_;  // shared with the galleries this backend makes
  cuda::ExpanderCache expander_cache_;        // device weights of the last expander used, by id
};

}  // namespace

std::unique_ptr<BackendImpl> make_cuda_backend(const EngineOptions& options) {
  return std::make_unique<CudaBackend>(options);
}

}  // namespace spheremask::internal
