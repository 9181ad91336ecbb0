// The two backends behind train_expander (include/spheremask/expander_train.hpp), both the step sequence of
// train_step.hpp: over the CPU ops in host/expander/expander_train.cpp and over the CUDA ops in
// cuda/expander/expander_train_gpu.cpp (in builds without CUDA, host/backend/no_cuda/cuda_unavailable.cpp
// defines it to throw Error{Unavailable}, like every CUDA entry point).
// Plus the one-step probes the cross-backend tests compare. No CUDA types here.
#pragma once
#include <array>
#include <functional>
#include <vector>

#include "expander/expander_net.hpp"
#include "spheremask/expander_train.hpp"

namespace spheremask::internal {

TrainResult cpu_train_expander(ExpanderWeights& w, const TrainOptions& o, const std::function<void(const TrainStep&)>& progress);
// On device o.device; throws Error{Unavailable} when there is none.
TrainResult cuda_train_expander(ExpanderWeights& w, const TrainOptions& o, const std::function<void(const TrainStep&)>& progress);

// The first step of training without its update: loss and the body gradients dL/dW0…dL/dW4 on the
// first batch of the training stream of o.seed.
struct TrainProbe {
  TrainStep step;
  std::array<std::vector<float>, kTeLayers> grads;
};
TrainProbe cpu_train_probe(const ExpanderWeights& w, const TrainOptions& o);
TrainProbe cuda_train_probe(const ExpanderWeights& w, const TrainOptions& o);

}  // namespace spheremask::internal
