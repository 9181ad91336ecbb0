// The default ResidentGallery: the P matrices stay in the caller's host memory and each call goes
// through the backend's per-call identify/verify (the CPU backend reads host memory anyway).
#include <vector>

#include "backend/backend_impl.hpp"

namespace spheremask::internal {
namespace {

class HostGallery final : public ResidentGallery {
 public:
  HostGallery(BackendImpl& backend, std::span<const GalleryItem> items, uint32_t n, Dtype dtype)
      : backend_(backend), items_(items.begin(), items.end()), n_(n), dtype_(dtype) {}

  std::vector<IdentifyHit> identify(const float* probes, size_t probe_count, uint32_t alpha) override {
    return backend_.identify(items_, probes, probe_count, n_, alpha, dtype_);
  }

  void verify(const float* probes, const uint32_t* index, size_t count, uint32_t alpha, uint8_t* match,
              detail::Codeword* matched) override {
    std::vector<VerifyItem> items(count);
    for (size_t i = 0; i < count; ++i) {
      const GalleryItem& g = items_.at(index[i]);
      items[i] = {g.p, probes + i * n_, g.salt, g.verifier};
    }
    backend_.verify(items, n_, alpha, dtype_, match, matched);
  }

 private:
  BackendImpl& backend_;
  std::vector<GalleryItem> items_;
  uint32_t n_;
  Dtype dtype_;
};

}  // namespace

std::unique_ptr<ResidentGallery> BackendImpl::make_gallery(std::span<const GalleryItem> items, uint32_t n, Dtype dtype) {
  return std::make_unique<HostGallery>(*this, items, n, dtype);
}

}  // namespace spheremask::internal
