#include "expander/expander_objective.hpp"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <cmath>

#include "expander/expander_net.hpp"
#include "spheremask/error.hpp"

namespace spheremask::internal {
namespace {
constexpr double kDeg = 57.29577951308232;
}  // namespace

size_t train_batch_rows(const ExpanderWeights& w, const TrainOptions& o) {
  if (o.batch) return o.batch;
  return o.objective == TrainObjective::Gram ? 256 : std::max<size_t>(256, 4 * (size_t(w.m) + 1));
}

void check_train_options(const ExpanderWeights& w, const TrainOptions& o) {
  check_expander_shapes(w);
  const size_t b = train_batch_rows(w, o);
  if (b < 2) throw Error(ErrorCode::InvalidArgument, "train: batch must be at least 2");
  if (!(o.lr > 0) || !std::isfinite(o.lr)) throw Error(ErrorCode::InvalidArgument, "train: lr must be positive");
  if (!std::isfinite(o.residual_weight) || o.residual_weight < 0)
    throw Error(ErrorCode::InvalidArgument, "train: residual weight must be ≥ 0");
  if (o.residual_weight > 0 && o.objective != TrainObjective::Pairs)
    throw Error(ErrorCode::InvalidArgument, "train: the residual weight applies to the pairs objective (template-space inputs)");
  if (o.objective == TrainObjective::Pairs && o.residual_weight > 0 && b <= size_t(w.m) + 1)
    throw Error(ErrorCode::InvalidArgument, "train: the residual term needs a batch larger than m+1 = " +
                                                std::to_string(w.m + 1));
  if (o.objective == TrainObjective::Pairs && !(o.max_pair_angle_deg > 0 && o.max_pair_angle_deg <= 180))
    throw Error(ErrorCode::InvalidArgument, "train: max pair angle must be in (0, 180]");
}

TrainBatch draw_train_batch(const ExpanderWeights& w, const TrainOptions& o, size_t rows, SimRng& rng, bool project) {
  TrainBatch b;
  const uint32_t d = 2 * w.n;
  if (o.objective == TrainObjective::Gram) {
    b.x.resize(rows * d);
    for (size_t i = 0; i < rows; ++i) rng.unit_vector(b.x.data() + i * d, d);
    return b;
  }
  b.t.resize(rows * w.m);
  for (size_t i = 0; i < rows; ++i) {
    float* ti = b.t.data() + i * w.m;
    if (i % kTrainGroup == 0) {
      rng.unit_vector(ti, w.m);
    } else {
      const float* anchor = b.t.data() + (i - i % kTrainGroup) * w.m;
      rng.at_angle(anchor, rng.uniform() * o.max_pair_angle_deg / kDeg, ti, w.m);
    }
  }
  if (project) {
    b.x.resize(rows * d);
    te_project(w, b.t.data(), rows, b.x.data());
  }
  return b;
}

GramWeights gram_weights(const TrainOptions& o, size_t rows) {
  GramWeights g;
  g.all = 1.0 / double(rows * rows);
  g.pairs = o.objective == TrainObjective::Pairs;
  size_t within_pairs = 0;
  if (g.pairs)
    for (size_t i = 0; i < rows; i += kTrainGroup) {
      const size_t n = std::min(kTrainGroup, rows - i);
      within_pairs += n * (n - 1);
    }
  g.within = within_pairs ? 1.0 / double(within_pairs) : 0.0;
  return g;
}

bool residual_computed(const ExpanderWeights& w, const TrainOptions& o, size_t rows) {
  return o.objective == TrainObjective::Pairs && rows > size_t(w.m) + 1;
}

AffineResidual affine_residual(const ExpanderWeights& w, const float* t, const float* y, size_t rows) {
  const uint32_t n = w.n;
  const size_t cols = size_t(w.m) + 1;
  std::vector<float> a(rows * cols), tau(cols);
  for (size_t i = 0; i < rows; ++i) {
    for (uint32_t j = 0; j < w.m; ++j) a[j * rows + i] = t[i * w.m + j];
    a[w.m * rows + i] = 1.0f;
  }
  lapack_int info = LAPACKE_sgeqrf(LAPACK_COL_MAJOR, int(rows), int(cols), a.data(), int(rows), tau.data());
  if (info == 0) info = LAPACKE_sorgqr(LAPACK_COL_MAJOR, int(rows), int(cols), int(cols), a.data(), int(rows), tau.data());
  if (info != 0) throw Error(ErrorCode::Backend, "LAPACKE QR for the residual term failed: info " + std::to_string(info));
  AffineResidual res;
  std::vector<float> qty(cols * n);
  res.r.assign(y, y + rows * n);
  // Column-major views: Q is rows × cols, Yᵀ is the row-major Y.
  cblas_sgemm(CblasColMajor, CblasTrans, CblasTrans, int(cols), int(n), int(rows), 1.0f, a.data(), int(rows), y,
              int(n), 0.0f, qty.data(), int(cols));
  // r (row-major rows × n) −= Q·(QᵀY): as column-major n × rows, rᵀ −= (QᵀY)ᵀ Qᵀ.
  cblas_sgemm(CblasColMajor, CblasTrans, CblasTrans, int(n), int(rows), int(cols), -1.0f, qty.data(), int(cols),
              a.data(), int(rows), 1.0f, res.r.data(), int(n));
  double res2 = 0;
  for (size_t k = 0; k < rows * n; ++k) {
    res2 += double(res.r[k]) * res.r[k];
    res.y2 += double(y[k]) * y[k];
  }
  res.frac = res2 / res.y2;
  return res;
}

float apply_residual(const TrainOptions& o, const AffineResidual& res, TrainStep& s) {
  s.residual = std::sqrt(res.frac);
  s.loss -= o.residual_weight * res.frac;
  // d(res²/‖Y‖²)/dY = 2R/‖Y‖² (‖Y‖ fixed: unit rows)
  return o.residual_weight > 0 ? float(-o.residual_weight * 2.0 / res.y2) : 0.0f;
}

AdamConstants adam_constants(size_t t) {
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
  return {float(b1),
          float(1 - b1),
          float(b2),
          float(1 - b2),
          float(eps),
          float(1.0 / (1.0 - std::pow(b1, double(t)))),
          float(1.0 / (1.0 - std::pow(b2, double(t))))};
}

void throw_diverged(size_t step) {
  throw Error(ErrorCode::InvalidArgument,
              "train: weights diverged at step " + std::to_string(step) + " (lower the learning rate)");
}

}  // namespace spheremask::internal
