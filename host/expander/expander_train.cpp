#include "spheremask/expander_train.hpp"

#include <string>

#include "expander/cpu_ops.hpp"
#include "expander/expander_objective.hpp"
#include "expander/expander_rng.hpp"
#include "expander/expander_train_backends.hpp"
#include "expander/train_step.hpp"
#include "spheremask/error.hpp"

namespace spheremask {

const char* objective_name(TrainObjective o) { return o == TrainObjective::Gram ? "gram" : "pairs"; }
TrainObjective parse_objective(const std::string& name) {
  if (name == "gram") return TrainObjective::Gram;
  if (name == "pairs") return TrainObjective::Pairs;
  throw Error(ErrorCode::InvalidArgument, "unknown objective '" + name + "' (gram or pairs)");
}
const char* optimizer_name(TrainOptimizer o) { return o == TrainOptimizer::Sgd ? "sgd" : "adam"; }
TrainOptimizer parse_optimizer(const std::string& name) {
  if (name == "sgd") return TrainOptimizer::Sgd;
  if (name == "adam") return TrainOptimizer::Adam;
  throw Error(ErrorCode::InvalidArgument, "unknown optimizer '" + name + "' (sgd or adam)");
}

Backend train_backend(const ExpanderWeights& w, const TrainOptions& o) {
  if (o.backend != Backend::Auto) return o.backend;
  // cuda_device_count() is 0 when CUDA is compiled out, without a driver and without a device.
  return w.n >= kTrainGpuMinN && cuda_device_count() > 0 ? Backend::Cuda : Backend::Cpu;
}

TrainResult train_expander(ExpanderWeights& w, const TrainOptions& o, const std::function<void(const TrainStep&)>& progress) {
  internal::check_train_options(w, o);
  return train_backend(w, o) == Backend::Cuda ? internal::cuda_train_expander(w, o, progress)
                                              : internal::cpu_train_expander(w, o, progress);
}

TrainStep evaluate_objective(const ExpanderWeights& w, const TrainOptions& o, size_t batches) {
  internal::check_train_options(w, o);
  const size_t rows = internal::train_batch_rows(w, o);
  internal::SimRng rng("train/held-out", o.seed);
  internal::TrainStepper<internal::CpuTeOps> stepper(w, o, rows);
  TrainStep total;
  total.residual = 0;
  for (size_t k = 0; k < batches; ++k) {
    const TrainStep s = stepper.loss(internal::draw_train_batch(w, o, rows, rng, /*project=*/false));
    total.loss += s.loss / double(batches);
    total.gram_loss += s.gram_loss / double(batches);
    total.residual += s.residual / double(batches);
  }
  if (!internal::residual_computed(w, o, rows)) total.residual = -1;
  return total;
}

namespace internal {

TrainResult cpu_train_expander(ExpanderWeights& w, const TrainOptions& o, const std::function<void(const TrainStep&)>& progress) {
  check_train_options(w, o);
  return train_steps<CpuTeOps>(w, o, progress, Backend::Cpu);
}

TrainProbe cpu_train_probe(const ExpanderWeights& w, const TrainOptions& o) {
  check_train_options(w, o);
  return probe_first_step<CpuTeOps>(w, o);
}

}  // namespace internal
}  // namespace spheremask
