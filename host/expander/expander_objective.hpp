// The training objective of the template expander shared by the CPU and GPU trainers (the step of
// host/expander/train_step.hpp over either backend's ops): option checks, batch size, batches drawn from
// the seeded stream, the weights of the Gram entries, the affine-fit residual term and the optimizer's
// constants. One definition of each, so both backends train on the same inputs with the same math.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "expander/expander_rng.hpp"
#include "spheremask/expander_train.hpp"

namespace spheremask::internal {

constexpr size_t kTrainGroup = 8;  // Pairs objective: anchor + 7 neighbours

size_t train_batch_rows(const ExpanderWeights& w, const TrainOptions& o);
void check_train_options(const ExpanderWeights& w, const TrainOptions& o);  // throws Error{InvalidArgument}

// One batch: x (rows × 2n) and, for Pairs, the templates t (rows × m). With project = false a Pairs
// batch leaves x empty (the GPU projects t with W_s itself); the random stream advances identically.
struct TrainBatch {
  std::vector<float> t, x;
};
TrainBatch draw_train_batch(const ExpanderWeights& w, const TrainOptions& o, size_t rows, SimRng& rng,
                            bool project = true);

// Weight of Gram entry (i, j): all + (Pairs, i ≠ j, same group of kTrainGroup ? within : 0).
struct GramWeights {
  double all = 0, within = 0;
  bool pairs = false;
};
GramWeights gram_weights(const TrainOptions& o, size_t rows);

// Whether the affine-fit residual is computed (Pairs with more rows than m + 1).
bool residual_computed(const ExpanderWeights& w, const TrainOptions& o, size_t rows);

// R = Y − Q Qᵀ Y for Q an orthonormal basis of [T 1] (rows × (m+1)); frac = ‖R‖²/‖Y‖².
struct AffineResidual {
  std::vector<float> r;  // rows × n, row-major
  double frac = 0, y2 = 0;
};
AffineResidual affine_residual(const ExpanderWeights& w, const float* t, const float* y, size_t rows);

// Adds the residual term to s (residual, loss) and returns the factor of R in dL/dY (0 when the
// residual weight is 0): dL/dY += scale · R.
float apply_residual(const TrainOptions& o, const AffineResidual& res, TrainStep& s);

// Adam's constants in the exact float forms the update uses; step t is 1-based.
struct AdamConstants {
  float b1, one_minus_b1, b2, one_minus_b2, eps, c1, c2;
};
AdamConstants adam_constants(size_t t);

[[noreturn]] void throw_diverged(size_t step);

}  // namespace spheremask::internal
