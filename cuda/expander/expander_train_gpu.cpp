// train_expander on Backend::Cuda (declared in host/expander/expander_train_backends.hpp): batches drawn on the
// host from the same seeded stream as the CPU trainer, uploaded each step; the weights stay on the
// device until the last step and come back to the caller's ExpanderWeights at the end (so a progress
// callback sees the host weights unchanged, and a diverged run leaves them untouched).
#include <string>

#include "backend/backend_impl.hpp"
#include "cuda/core/cuda_raii.hpp"
#include "expander/expander_objective.hpp"
#include "expander/expander_train_backends.hpp"
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
  const size_t rows = train_batch_rows(w, o);
  SimRng rng("train/batch", o.seed);
  cuda::DeviceTrainer trainer(w, o, rows);
  TrainResult result;
  result.backend = Backend::Cuda;
  for (size_t step = 1; step <= o.steps; ++step) {
    const TrainBatch b = draw_train_batch(w, o, rows, rng, /*project=*/false);
    TrainStep s = trainer.loss_and_grad(b);
    s.step = step;
    trainer.update(step);
    if (step == 1) result.first_loss = s.loss;
    result.last_loss = s.loss;
    if (progress) progress(s);
  }
  trainer.download_weights(w);
  return result;
}

TrainProbe cuda_train_probe(const ExpanderWeights& w, const TrainOptions& o) {
  check_train_options(w, o);
  cuda::DeviceGuard guard(training_device(o));
  const size_t rows = train_batch_rows(w, o);
  SimRng rng("train/batch", o.seed);
  cuda::DeviceTrainer trainer(w, o, rows);
  TrainProbe p;
  p.step = trainer.loss_and_grad(draw_train_batch(w, o, rows, rng, /*project=*/false));
  p.step.step = 1;
  p.grads = trainer.download_grads();
  return p;
}

}  // namespace spheremask::internal
