// Training a template expander (DESIGN §3): forward and backward as GEMMs, on the CPU
// (OpenBLAS) or on a CUDA GPU (cuBLAS plus elementwise kernels; weights, gradients and optimizer state
// stay in device memory for all steps). Both backends draw the same batches from the seeded stream and
// compute the same math, so they agree to float rounding; each is deterministic for a seed.
// TrainOptions::backend picks where the steps run: Cpu, Cuda (Error{Unavailable} without a device or
// without the CUDA backend compiled in) or Auto = Cuda when n ≥ kTrainGpuMinN and a device exists, else
// Cpu. Only the body W0…W4 is trained; W_s stays semi-orthogonal.
//
// Objectives (both are weighted MSEs between the Gram matrices of inputs and unit outputs):
//   Gram  — the published recipe: random unit vectors of dimension 2n, plain mean over the batch.
//   Pairs — template-space inputs W_s·t in groups of 8 (an anchor plus 7 templates at angles uniform in
//           [0, max_pair_angle]); loss = mean over within-group pairs + mean over the whole batch.
// residual_weight (Pairs only) subtracts w·r², r = in-batch affine-fit residual of the outputs, so a
// user can trade angle error (w = 0: most isometric, most linear) against non-linearity (w > 0).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "spheremask/engine.hpp"
#include "spheremask/expander_file.hpp"
#include "spheremask/export.hpp"

namespace spheremask {

enum class TrainObjective { Gram, Pairs };
enum class TrainOptimizer { Sgd, Adam };

// Backend::Auto trains on the GPU from this code dimension up. A step costs about 2·rows·(3·(2n)² + 2n·n + n²)
// flop forward and twice that backward: measured on a 2-core box, a Gram step (256 rows) takes 0.13 s at
// n = 512 and 1.1 s at n = 1024 (at least n² growth for a fixed batch), while starting on a GPU (CUDA context, cuBLAS
// handle, weight upload) costs a fixed few hundred ms. Below n = 1024 a multi-core host finishes the
// 15-step recipe in about that fixed cost, so the CPU stays the default; from 1024 up the GPU wins by a
// growing factor. Auto makes results machine-dependent at the float-rounding level (see above).
inline constexpr uint32_t kTrainGpuMinN = 1024;

struct TrainOptions {
  size_t steps = 15;
  size_t batch = 0;  // rows per step; 0 = 256 (Gram) or max(256, 4·(m+1)) (Pairs)
  float lr = 0.01f;
  uint64_t seed = 1;
  TrainObjective objective = TrainObjective::Gram;
  TrainOptimizer optimizer = TrainOptimizer::Sgd;
  double residual_weight = 0;
  double max_pair_angle_deg = 100;
  Backend backend = Backend::Auto;  // where the steps run (see the top of this file)
  int device = 0;                   // CUDA device ordinal for Backend::Cuda / Auto
};

struct TrainStep {
  size_t step = 0;              // 1-based
  double loss = 0;              // objective value (angle term − residual_weight·residual²)
  double gram_loss = 0;         // the weighted Gram MSE alone
  double residual = -1;         // in-batch affine-fit residual (Pairs), −1 when not computed
};

struct TrainResult {
  double first_loss = 0, last_loss = 0;
  Backend backend = Backend::Cpu;  // where the steps ran (Cpu or Cuda)
};

SPHEREMASK_API const char* objective_name(TrainObjective o);
SPHEREMASK_API TrainObjective parse_objective(const std::string& name);  // "gram" | "pairs"
SPHEREMASK_API const char* optimizer_name(TrainOptimizer o);
SPHEREMASK_API TrainOptimizer parse_optimizer(const std::string& name);  // "sgd" | "adam"

// Where train_expander runs for these options: Cpu or Cuda (Auto resolved; an explicit Cuda stays Cuda
// even without a device, and training then throws Error{Unavailable}).
SPHEREMASK_API Backend train_backend(const ExpanderWeights& w, const TrainOptions& o);

// Trains w in place; progress (optional) is called after every step. w is written once, after the last
// step, so a run that throws leaves it as it was. Throws Error{InvalidArgument} (options; weights
// diverged), Error{Unavailable} (Backend::Cuda without a device), Error{Backend} (CUDA).
SPHEREMASK_API TrainResult train_expander(ExpanderWeights& w, const TrainOptions& o,
                                          const std::function<void(const TrainStep&)>& progress = {});

// The objective on `batches` fresh held-out batches (a stream separate from training), no update; on
// the CPU whatever o.backend says.
SPHEREMASK_API TrainStep evaluate_objective(const ExpanderWeights& w, const TrainOptions& o, size_t batches = 4);

}  // namespace spheremask
