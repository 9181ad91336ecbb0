// Linked when the CUDA backend is not compiled in: no devices, and a clear error if one is asked for.
#include "cuda/core/cuda_selftest.hpp"
#include "cuda/gallery/resident_gallery.hpp"
#include "backend/backend_impl.hpp"
#include "expander/expander_train_backends.hpp"
#include "spheremask/error.hpp"

namespace spheremask::internal {
namespace {
[[noreturn]] void no_cuda() {
  throw Error(ErrorCode::Unavailable, "this build of spheremask has no CUDA backend (SPHEREMASK_ENABLE_CUDA=OFF)");
}
}  // namespace

int cuda_device_count_impl() { return 0; }

std::unique_ptr<BackendImpl> make_cuda_backend(const EngineOptions&) { no_cuda(); }

CudaDetailSelftest cuda_detail_selftest(int, const uint8_t*, const uint8_t*) { no_cuda(); }

TrainResult cuda_train_expander(ExpanderWeights&, const TrainOptions&, const std::function<void(const TrainStep&)>&) {
  no_cuda();
}

TrainProbe cuda_train_probe(const ExpanderWeights&, const TrainOptions&) { no_cuda(); }

}  // namespace spheremask::internal

namespace spheremask::cuda {

size_t resident_records(const internal::ResidentGallery&) { internal::no_cuda(); }

}  // namespace spheremask::cuda
