// Placement: at construction the gallery takes a budget of device memory (85% of what is free, less
// slack and the per-call work buffers, and at most EngineOptions::gallery_cap_bytes when set) and
// plan_gallery splits it: records [0, resident) are uploaded once; when the gallery is larger, a
// quarter of the budget becomes a streaming buffer and records [resident, size) are copied into it
// chunk by chunk on every call, through the backend's pinned staging ring (two pinned slots in turn:
// the host copy into one overlaps the DMA of the other, and host memory is not doubled by a pinned
// copy of a gallery that may be larger than the card). Streamed records cost a PCIe transfer per call.
//
// identify multiplies in f32 by default: f16 P is expanded tile by tile into an f32 scratch and
// multiplied with cublasSgemmStridedBatched, so y holds exactly the products the CPU backend forms (f16 P
// widened, f32 probe) and both return the same ids. The expansion moves 2 + 4 + 4 bytes per element
// instead of 2. With EngineOptions::identify_tensor_cores an f16 gallery instead multiplies its f16 P
// directly on tensor cores (cublasGemmStridedBatchedEx, FP32 accumulation) with the probes split into two
// f16 parts (split_product.hpp: the split, and the bound within which its decisions may differ from the
// CPU's); f32 galleries always take the f32 path.
//
// verify: the batch's gallery indices go up as one array and a gather kernel forms, on the device, the
// salts, verifiers and matrix pointers of each probe from the gallery's own device copies; the host does
// no per-probe work beyond assigning streamed records their slot.
#include "cuda/gallery/resident_gallery.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "backend/identify_hits.hpp"
#include "cuda/core/cuda_raii.hpp"
#include "cuda/core/device_context.hpp"
#include "cuda/decode/device_decode.hpp"
#include "cuda/gallery/gallery_kernels.hpp"
#include "cuda/gallery/gallery_plan.hpp"
#include "cuda/gallery/split_product.hpp"
#include "cuda/core/kernels.hpp"
#include "cuda/core/launch_shapes.hpp"

namespace spheremask::cuda {
namespace {

using internal::GalleryItem;
using internal::IdentifyHit;

constexpr size_t kMaxVerifyChunk = 4096;
static_assert(kMaxVerifyChunk <= 65535, "verify batches are used as grid.y/z");

class CudaResidentGallery final : public internal::ResidentGallery {
 public:
  CudaResidentGallery(std::shared_ptr<DeviceContext> ctx, std::span<const GalleryItem> items, uint32_t n, Dtype dtype,
                      size_t cap_bytes, bool tensor_cores)
      : ctx_(std::move(ctx)), items_(items.begin(), items.end()), n_(n), dtype_(dtype),
        p_bytes_(size_t(n) * n * dtype_size(dtype)), tensor_cores_(tensor_cores && dtype == Dtype::F16) {
    ContextScope scope(*ctx_);
    const PlainAllocations long_lived;  // the gallery's buffers live as long as it does
    const size_t records = items_.size();
    const size_t tags = records * (16 + 32);
    const double usable = double(free_device_bytes()) * 0.85 - double(kDeviceSlackBytes + kGalleryWorkBytes + tags);
    const size_t budget = gallery_budget_bytes(usable > 0 ? size_t(usable) : size_t(0), cap_bytes);
    plan_ = plan_gallery(records, p_bytes_, budget);
    if (records > 0 && plan_.resident + plan_.stream_chunk == 0) throw out_of_device_memory("gallery", n);
    resident_p_ = DeviceBuffer<uint8_t>(plan_.resident * p_bytes_, Secret::No);
    stream_p_ = DeviceBuffer<uint8_t>(plan_.stream_chunk * p_bytes_, Secret::No);
    std::vector<uint8_t> salts(records * 16), verifiers(records * 32);
    for (size_t r = 0; r < records; ++r) {
      std::memcpy(salts.data() + r * 16, items_[r].salt, 16);
      std::memcpy(verifiers.data() + r * 32, items_[r].verifier, 32);
    }
    salts_ = DeviceBuffer<uint8_t>(salts.size(), Secret::No);
    verifiers_ = DeviceBuffer<uint8_t>(verifiers.size(), Secret::No);
    upload(salts_.get(), salts.data(), salts.size(), ctx_->stream());
    upload(verifiers_.get(), verifiers.data(), verifiers.size(), ctx_->stream());
    ctx_->staging().upload(p_sources(0, plan_.resident), p_bytes_, resident_p_.get(), ctx_->stream());
    ctx_->synchronize();
  }

  ~CudaResidentGallery() override {
    // Free on the gallery's device; nothing here is secret (P, salts and verifiers are public helper data).
    DeviceGuard guard(ctx_->device(), std::nothrow);
    resident_p_ = {};
    stream_p_ = {};
    salts_ = {};
    verifiers_ = {};
  }

  size_t resident() const { return plan_.resident; }

  std::vector<IdentifyHit> identify(const float* probes, size_t probe_count, uint32_t alpha) override {
    std::vector<IdentifyHit> hits;
    if (items_.empty() || probe_count == 0) return hits;
    ContextScope scope(*ctx_);
    const size_t block = identify_probe_block(probe_count, n_);
    const bool expand = dtype_ == Dtype::F16 && !tensor_cores_;
    const size_t tile = identify_tile_records(std::max(plan_.resident, plan_.stream_chunk), n_, block, expand);
    const size_t values = probe_count * n_;
    Work work{DeviceBuffer<float>(values, Secret::Yes), DeviceBuffer<float>(tile * block * n_, Secret::Yes),
              DeviceBuffer<float>(expand ? tile * n_ * n_ : 0, Secret::No),
              DeviceBuffer<uint16_t>(tensor_cores_ ? 2 * values : 0, Secret::Yes), 1.0f, HitCollector(), block, tile,
              probe_count};
    upload_secret(*ctx_, work.probes.get(), probes, values);  // once for every pass
    if (tensor_cores_) {
      float max_abs = 0.0f;
      for (size_t i = 0; i < values; ++i) max_abs = std::max(max_abs, std::fabs(probes[i]));
      work.scale = split_scale(max_abs);
      launch_split_probes(values, work.scale, work.probes.get(), work.split.get(), work.split.get() + values,
                          ctx_->stream());
    }
    identify_records(resident_p_.get(), 0, plan_.resident, alpha, work, hits);
    for (size_t first = plan_.resident; first < items_.size(); first += plan_.stream_chunk) {
      const size_t count = std::min(plan_.stream_chunk, items_.size() - first);
      ctx_->staging().upload(p_sources(first, count), p_bytes_, stream_p_.get(), ctx_->stream());
      identify_records(stream_p_.get(), first, count, alpha, work, hits);
    }
    internal::sort_hits(hits);
    return hits;
  }

  void verify(const float* probes, const uint32_t* index, size_t count, uint32_t alpha, uint8_t* match,
              detail::Codeword* matched) override {
    for (size_t i = 0; i < count; ++i)
      if (index[i] >= items_.size())
        throw Error(ErrorCode::InvalidArgument, "gallery index " + std::to_string(index[i]) + " is out of range");
    ContextScope scope(*ctx_);
    for (size_t start = 0; start < count;) {
      // A batch ends at kMaxVerifyChunk probes or when the streaming buffer is full.
      size_t end = start, streamed = 0;
      while (end < count && end - start < kMaxVerifyChunk) {
        if (index[end] >= plan_.resident) {
          if (streamed == plan_.stream_chunk) break;
          ++streamed;
        }
        ++end;
      }
      verify_batch(probes + start * n_, index + start, uint32_t(end - start), alpha, match + start, matched + start);
      start = end;
    }
  }

 private:
  struct Work {
    DeviceBuffer<float> probes;  // all probes of the call
    DeviceBuffer<float> y;       // tile × block columns of n
    DeviceBuffer<float> p32;     // f16 galleries on the f32 path: the tile's P widened to f32
    DeviceBuffer<uint16_t> split;  // tensor cores: hi of every probe, then lo (split_product.hpp)
    float scale;                   // tensor cores: the split's power-of-two scale s
    HitCollector collector;
    size_t block, tile, probe_count;
  };

  std::vector<const void*> p_sources(size_t first, size_t count) const {
    std::vector<const void*> src(count);
    for (size_t r = 0; r < count; ++r) src[r] = items_[first + r].p;
    return src;
  }

  // Records [first, first + count) of the gallery, whose P start at p on the device.
  void identify_records(const uint8_t* p, size_t first, size_t count, uint32_t alpha, Work& work,
                        std::vector<IdentifyHit>& hits) {
    cudaStream_t s = ctx_->stream();
    const size_t nn = size_t(n_) * n_;
    const int ni = int(n_);
    const float one = 1.0f, zero = 0.0f;
    for (size_t t0 = 0; t0 < count; t0 += work.tile) {
      const uint32_t records = uint32_t(std::min(work.tile, count - t0));
      const uint8_t* p_tile = p + t0 * p_bytes_;
      const size_t record_base = first + t0;
      if (tensor_cores_) {
        identify_tile_tensor_cores(p_tile, records, record_base, alpha, work, hits);
        continue;
      }
      const float* p32 = reinterpret_cast<const float*>(p_tile);
      if (dtype_ == Dtype::F16) {
        launch_to_float(records * nn, reinterpret_cast<const uint16_t*>(p_tile), work.p32.get(), s);
        p32 = work.p32.get();
      }
      for (size_t b0 = 0; b0 < work.probe_count; b0 += work.block) {
        const uint32_t bs = uint32_t(std::min(work.block, work.probe_count - b0));
        // Y_r (n × bs, column b = P_r t_b) = P_r T: row-major P_r is column-major P_rᵀ, hence OP_T; T is shared.
        SM_CUBLAS_TRY(cublasSgemmStridedBatched(ctx_->blas(), CUBLAS_OP_T, CUBLAS_OP_N, ni, int(bs), ni, &one, p32, ni,
                                                (long long)nn, work.probes.get() + b0 * n_, ni, 0, &zero, work.y.get(),
                                                ni, (long long)n_ * bs, int(records)));
        work.collector.collect(*ctx_, records, bs, n_, alpha, work.y.get(), salts_.get() + record_base * 16,
                               verifiers_.get() + record_base * 32, uint32_t(record_base), uint32_t(b0), hits);
      }
    }
  }

  // One tile of f16 records on tensor cores: Y = s⁻¹·P·hi, then Y += 2⁻¹¹·s⁻¹·P·lo (split_product.hpp).
  void identify_tile_tensor_cores(const uint8_t* p_tile, uint32_t records, size_t record_base, uint32_t alpha,
                                  Work& work, std::vector<IdentifyHit>& hits) {
    const size_t nn = size_t(n_) * n_;
    const int ni = int(n_);
    const uint16_t* hi = work.split.get();
    const uint16_t* lo = hi + work.probe_count * n_;
    const float first_scale = 1.0f / work.scale, second_scale = kSplitLoUnscale / work.scale, zero = 0.0f, one = 1.0f;
    for (size_t b0 = 0; b0 < work.probe_count; b0 += work.block) {
      const uint32_t bs = uint32_t(std::min(work.block, work.probe_count - b0));
      // As in identify_records: row-major P_r is column-major P_rᵀ, hence OP_T; the probe block is shared.
      const auto gemm = [&](const uint16_t* t, const float* scale, const float* beta) {
        SM_CUBLAS_TRY(cublasGemmStridedBatchedEx(ctx_->blas(), CUBLAS_OP_T, CUBLAS_OP_N, ni, int(bs), ni, scale, p_tile,
                                                 CUDA_R_16F, ni, (long long)nn, t + b0 * n_, CUDA_R_16F, ni, 0, beta,
                                                 work.y.get(), CUDA_R_32F, ni, (long long)n_ * bs, int(records),
                                                 CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
      };
      gemm(hi, &first_scale, &zero);
      gemm(lo, &second_scale, &one);
      work.collector.collect(*ctx_, records, bs, n_, alpha, work.y.get(), salts_.get() + record_base * 16,
                             verifiers_.get() + record_base * 32, uint32_t(record_base), uint32_t(b0), hits);
    }
  }

  // Probe i against record index[i]: streamed records go into the streaming buffer first. The host
  // only numbers the streamed ones; salts, verifiers and pointers are gathered on the device.
  void verify_batch(const float* probes, const uint32_t* index, uint32_t count, uint32_t alpha, uint8_t* match,
                    detail::Codeword* matched) {
    cudaStream_t s = ctx_->stream();
    std::vector<uint32_t> index_slot(2 * size_t(count));  // [index | slot]
    std::vector<const void*> streamed;
    std::copy(index, index + count, index_slot.begin());
    for (uint32_t i = 0; i < count; ++i) {
      if (index[i] < plan_.resident) {
        index_slot[count + i] = index[i];
      } else {
        index_slot[count + i] = kStreamedSlot | uint32_t(streamed.size());
        streamed.push_back(items_[index[i]].p);
      }
    }
    ctx_->staging().upload(streamed, p_bytes_, stream_p_.get(), s);
    DeviceBuffer<float> d_t(size_t(count) * n_, Secret::Yes), d_y(size_t(count) * n_, Secret::Yes);
    upload_secret(*ctx_, d_t.get(), probes, size_t(count) * n_);
    const bool f32 = dtype_ == Dtype::F32;
    DeviceBuffer<uint32_t> d_index_slot(index_slot.size(), Secret::No);
    DeviceBuffer<uint8_t> d_salts(size_t(count) * 16, Secret::No), d_verifiers(size_t(count) * 32, Secret::No);
    DeviceBuffer<float*> d_pointers((f32 ? 3 : 1) * size_t(count), Secret::No);  // [A | x | y]
    upload(d_index_slot.get(), index_slot.data(), index_slot.size(), s);
    float** d_a = d_pointers.get();
    float** d_x = f32 ? d_a + count : nullptr;
    float** d_yp = f32 ? d_a + 2 * size_t(count) : nullptr;
    launch_gather_verify(count, n_, d_index_slot.get(), d_index_slot.get() + count, salts_.get(), verifiers_.get(),
                         resident_p_.get(), stream_p_.get(), p_bytes_, d_salts.get(), d_verifiers.get(),
                         reinterpret_cast<void**>(d_a), d_t.get(), d_y.get(), d_x, d_yp, s);
    if (f32) {
      const float one = 1.0f, zero = 0.0f;
      const int ni = int(n_);
      // Row-major P is column-major Pᵀ, hence OP_T.
      SM_CUBLAS_TRY(cublasSgemvBatched(ctx_->blas(), CUBLAS_OP_T, ni, ni, &one, d_a, ni, d_x, 1, &zero, d_yp, 1,
                                       int(count)));
    } else {
      launch_gemv_f16_list(count, n_, reinterpret_cast<const uint16_t* const*>(d_a), d_t.get(), d_y.get(), s);
    }
    // index_slot's upload was from pageable memory, so it has been read already; the device buffers go
    // back to the pool in stream order, after verify_rows has synchronized.
    verify_rows(*ctx_, count, n_, alpha, d_y.get(), d_salts.get(), d_verifiers.get(), match, matched);
  }

  std::shared_ptr<DeviceContext> ctx_;
  std::vector<GalleryItem> items_;
  uint32_t n_;
  Dtype dtype_;
  size_t p_bytes_;
  bool tensor_cores_;  // identify on tensor cores (f16 galleries only)
  GalleryPlan plan_{};
  DeviceBuffer<uint8_t> resident_p_;  // plan_.resident matrices, row-major, dtype_
  DeviceBuffer<uint8_t> stream_p_;    // plan_.stream_chunk matrices
  DeviceBuffer<uint8_t> salts_;       // 16 bytes per record, every record
  DeviceBuffer<uint8_t> verifiers_;   // 32 bytes per record, every record
};

}  // namespace

std::unique_ptr<internal::ResidentGallery> make_resident_gallery(std::shared_ptr<DeviceContext> ctx,
                                                                 std::span<const GalleryItem> items, uint32_t n,
                                                                 Dtype dtype, size_t cap_bytes, bool tensor_cores) {
  return std::make_unique<CudaResidentGallery>(std::move(ctx), items, n, dtype, cap_bytes, tensor_cores);
}

size_t resident_records(const internal::ResidentGallery& gallery) {
  const auto* g = dynamic_cast<const CudaResidentGallery*>(&gallery);
  if (!g) throw Error(ErrorCode::InvalidArgument, "not a CUDA resident gallery");
  return g->resident();
}

}  // namespace spheremask::cuda
