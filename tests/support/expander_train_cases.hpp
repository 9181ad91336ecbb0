// The training configurations both trainer tests sweep (the GPU trainer vs the CPU one, and the GPU step
// sequence run on the CPU): each objective with each optimizer, the residual term with each optimizer.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

#include "spheremask/expander_train.hpp"

namespace spheremask::testing {

struct TrainCase {
  const char* name;
  TrainObjective objective;
  TrainOptimizer optimizer;
  double residual_weight;
  float lr;
};

inline constexpr TrainCase kTrainCases[] = {
    {"gram-sgd", TrainObjective::Gram, TrainOptimizer::Sgd, 0, 0.01f},
    {"gram-adam", TrainObjective::Gram, TrainOptimizer::Adam, 0, 0.001f},
    {"pairs-sgd", TrainObjective::Pairs, TrainOptimizer::Sgd, 0, 0.01f},
    {"pairs-adam", TrainObjective::Pairs, TrainOptimizer::Adam, 0, 0.001f},
    {"pairs-residual-sgd", TrainObjective::Pairs, TrainOptimizer::Sgd, 0.5, 0.01f},
    {"pairs-residual-adam", TrainObjective::Pairs, TrainOptimizer::Adam, 0.5, 0.001f},
};

inline TrainOptions train_options(const TrainCase& c, size_t batch, uint64_t seed) {
  TrainOptions o;
  o.objective = c.objective;
  o.optimizer = c.optimizer;
  o.residual_weight = c.residual_weight;
  o.lr = c.lr;
  o.batch = batch;
  o.seed = seed;
  return o;
}

// A public expander seed with first byte b.
inline std::array<uint8_t, 32> seed_of(uint8_t b) {
  std::array<uint8_t, 32> s{};
  s[0] = b;
  return s;
}

}  // namespace spheremask::testing
