// Pulling a code-space vector back through a public expander (DESIGN §3, "Attacks"): an attack that
// recovers u ≈ TE(t) (the structural inversion: u = Pᵀc; PLRA on expander records: the linked direction)
// still needs a template t the engine takes. The affine model gives a first t; Gauss–Newton steps on
// ‖TE(t) − u‖ through the expander itself then remove the error of the linear fit.
#pragma once
#include <functional>
#include <vector>

#include "attack/te_model.hpp"
#include "spheremask/expander.hpp"

namespace spheremask::attack {

struct PullBackTrace {
  int steps = 0;                   // Gauss–Newton steps taken (rejected ones included)
  std::vector<double> residuals;   // ‖TE(t) − u‖ after the affine pull-back, then after each step
};

// u: n floats, the unit code-space vector. Returns the unit template t (m floats; as secret as the
// template it approximates: the caller wipes it). Gauss–Newton runs for at most `steps` steps and ends early
// once stop(TE(t)) holds (stop is asked after the affine pull-back too; empty: never stop early). A step that
// would raise the residual is not taken; the damping grows instead (Levenberg–Marquardt).
std::vector<float> pull_back_template(const Expander& e, const TeModel& model, const float* u, int steps,
                                      const std::function<bool(const float* te_t)>& stop = {},
                                      PullBackTrace* trace = nullptr);

}  // namespace spheremask::attack
