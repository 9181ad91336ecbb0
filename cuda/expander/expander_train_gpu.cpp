// train_expander on Backend::Cuda (declared in host/expander/expander_train_backends.hpp): the step
// sequence of host/expander/train_step.hpp over the CUDA ops, on the requested device. Batches are drawn
// on the host from the same seeded stream as the CPU trainer and uploaded each step.
#include <string>

#include "backend/backend_impl.hpp"
#include "cuda/core/cuda_raii.hpp"
#include "expander/expander_objective.hpp"
#include "expander/expander_train_backends.hpp"
#include "expander/train_step.hpp"
#include "cuda/expander/expander_trainer.hpp"
#include "spheremask/error.hpp"

namespace spheremask::internal {
namespace {

// The device to train on; Error{Unavailable} when there is none (cudaGetDeviceCount errors count as 0).
int training_device(const TrainOptions& o) {
  const int count = cuda_device_count_impl();
  if (count == 0)
    throw Error(ErrorCode::Unavailable, "expander train on CUDA: no CUDA device (or no driver) on this machine");
  if (o.device < 0 || o.device >= count)
    throw Error(ErrorCode::Unavailable, "expander train on CUDA: device " + std::to_string(o.device) + " requested, " +
                                            std::to_string(count) + " present");
  return o.device;
}

}  // namespace

TrainResult cuda_train_expander(ExpanderWeights& w, const TrainOptions& o, const std::function<void(const TrainStep&)>& progress) {
  check_train_options(w, o);
  cuda::DeviceGuard guard(training_device(o));  // outlives the trainer: its buffers free on this device
  return train_steps<cuda::CudaTrainOps>(w, o, progress, Backend::Cuda);
}

TrainProbe cuda_train_probe(const ExpanderWeights& w, const TrainOptions& o) {
  check_train_options(w, o);
  cuda::DeviceGuard guard(training_device(o));
  return probe_first_step<cuda::CudaTrainOps>(w, o);
}

}  // namespace spheremask::internal
