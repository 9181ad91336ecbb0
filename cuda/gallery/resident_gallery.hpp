// The CUDA backend's ResidentGallery: a gallery's P matrices uploaded to device memory
// once. identify: the probes go up once, then per tile of records one strided-batched GEMM per probe
// block (f16 galleries with tensor_cores: two f16 GEMMs over the split probes, split_product.hpp) and
// the fused decode + verifier kernel. verify: one pointer-list gemv per batch over the
// resident copies. Records that do not fit stay in the caller's host memory and are streamed on every
// call (see resident_gallery.cpp); cap_bytes bounds the device memory for P (EngineOptions::gallery_cap_bytes,
// 0 = no cap). No CUDA types here, so CPU-compiled tests can include it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "backend/backend_impl.hpp"

namespace spheremask::cuda {

class DeviceContext;

std::unique_ptr<internal::ResidentGallery> make_resident_gallery(std::shared_ptr<DeviceContext> ctx,
                                                                 std::span<const internal::GalleryItem> items,
                                                                 uint32_t n, Dtype dtype, size_t cap_bytes,
                                                                 bool tensor_cores = false);

// How many of a CUDA gallery's records stay in device memory (the rest are streamed); for tests.
// Throws InvalidArgument when `gallery` was not made by make_resident_gallery.
size_t resident_records(const internal::ResidentGallery& gallery);

}  // namespace spheremask::cuda
