#include "attack/invert.hpp"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "attack/pull_back.hpp"
#include "attack/sparse_pursuit.hpp"
#include "spheremask/detail/bytes.hpp"
#include "spheremask/detail/decode.hpp"
#include "spheremask/detail/half.hpp"
#include "spheremask/error.hpp"
#include "spheremask/keys.hpp"

namespace spheremask::attack {
namespace {

std::vector<float> record_p(const Record& r) {
  const size_t count = size_t(r.n) * r.n;
  std::vector<float> p(count);
  if (r.dtype == Dtype::F32) {
    std::copy_n(reinterpret_cast<const float*>(r.p.data()), count, p.data());
  } else {
    const uint8_t* b = r.p.data();
    for (size_t i = 0; i < count; ++i) p[i] = detail::half_to_float(detail::load_le16(b + 2 * i));
  }
  return p;
}

void normalize(float* v, size_t dim) {
  const float nr = cblas_snrm2(int(dim), v, 1);
  if (nr > 0) cblas_sscal(int(dim), 1.0f / nr, v, 1);
}

bool same(const detail::Codeword& a, const detail::Codeword& b) {
  if (a.alpha != b.alpha) return false;
  for (uint32_t q = 0; q < a.alpha; ++q)
    if (a.index[q] != b.index[q] || a.negative[q] != b.negative[q]) return false;
  return true;
}

// A helper-data matrix must be orthogonal; if its rows' norms differ, the outliers are a guess of the
// support and the 2^α sign patterns are cheap to try (α ≤ 20).
bool row_norm_leak(const std::vector<float>& p, uint32_t n, uint32_t alpha, VerifierOracle& oracle,
                   detail::Codeword* out) {
  std::vector<double> dev(n);
  double worst = 0;
  for (uint32_t i = 0; i < n; ++i) {
    dev[i] = std::fabs(double(cblas_snrm2(int(n), p.data() + size_t(i) * n, 1)) - 1.0);
    worst = std::max(worst, dev[i]);
  }
  if (worst < 1e-3 || alpha > 20) return false;
  std::vector<uint32_t> order(n);
  for (uint32_t i = 0; i < n; ++i) order[i] = i;
  std::partial_sort(order.begin(), order.begin() + alpha, order.end(),
                    [&](uint32_t a, uint32_t b) { return dev[a] > dev[b] || (dev[a] == dev[b] && a < b); });
  std::sort(order.begin(), order.begin() + alpha);
  detail::Codeword c;
  c.n = n;
  c.alpha = alpha;
  for (uint32_t q = 0; q < alpha; ++q) c.index[q] = order[q];
  bool hit = false;
  // Patterns with sign bit 0 of the first index only: the oracle checks each negation too.
  for (uint32_t pattern = 0; pattern < (1u << (alpha - 1)) && !hit; ++pattern) {
    for (uint32_t q = 0; q < alpha; ++q) c.negative[q] = int8_t(q == 0 ? 0 : (pattern >> (q - 1)) & 1u);
    hit = oracle.check(c, out);
  }
  c.wipe();
  return hit;
}

// t* from the code-space vector u = P_effᵀ c: without an expander u itself; with one, pulled back through it
// (affine model, then Gauss–Newton while decode(P_eff·TE(t*)) ≠ c).
void recover_template(const std::vector<float>& p_eff, uint32_t n, const Expander* e, const TeModel* model,
                      const detail::Codeword& c, int gn_steps, InvertOutcome& r) {
  std::vector<float> cvec(n, 0.0f), u(n), z(n);
  const float mag = float(1.0 / std::sqrt(double(c.alpha)));
  for (uint32_t q = 0; q < c.alpha; ++q) cvec[c.index[q]] = c.negative[q] ? -mag : mag;
  cblas_sgemv(CblasRowMajor, CblasTrans, int(n), int(n), 1.0f, p_eff.data(), int(n), cvec.data(), 1, 0.0f, u.data(), 1);
  auto accepted = [&](const float* code_space) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, int(n), int(n), 1.0f, p_eff.data(), int(n), code_space, 1, 0.0f,
                z.data(), 1);
    detail::Codeword d;
    const bool ok = detail::decode_codeword(z.data(), n, c.alpha, &d) && same(d, c);
    d.wipe();
    return ok;
  };
  if (!e) {
    r.template_star = u;
    normalize(r.template_star.data(), n);
    r.template_ok = accepted(r.template_star.data());
  } else {
    r.template_star = pull_back_template(*e, *model, u.data(), gn_steps, [&](const float* te) {
      r.template_ok = accepted(te);
      return r.template_ok;
    });
  }
  secure_zero(cvec.data(), cvec.size() * sizeof(float));
  secure_zero(u.data(), u.size() * sizeof(float));
  secure_zero(z.data(), z.size() * sizeof(float));
}

}  // namespace

Method parse_method(std::string_view name) {
  if (name == "greedy") return Method::Greedy;
  if (name == "l1") return Method::L1;
  if (name == "all") return Method::All;
  throw Error(ErrorCode::InvalidArgument, "unknown attack method '" + std::string(name) + "' (greedy, l1 or all)");
}

InvertOutcome::~InvertOutcome() {
  codeword.wipe();
  if (!template_star.empty()) secure_zero(template_star.data(), template_star.size() * sizeof(float));
}

InvertOutcome invert_record(const Record& r, const Expander* expander, const TeModel* model,
                            const float* app_transform, const InvertOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  InvertOutcome out;
  out.method = "none";
  const uint32_t n = r.n;
  if ((expander == nullptr) != (model == nullptr))
    throw Error(ErrorCode::InvalidArgument, "attack: an expander needs its fitted model and vice versa");
  if (expander && (expander->input_dim() != r.m || expander->output_dim() != n || model->n != n || model->m != r.m))
    throw Error(ErrorCode::Mismatch, "attack: the expander maps " + std::to_string(expander->input_dim()) + " -> " +
                                         std::to_string(expander->output_dim()) + " but the record has m=" +
                                         std::to_string(r.m) + " n=" + std::to_string(n));
  if (!expander && r.m != n)
    throw Error(ErrorCode::Mismatch, "attack: the record was made with an expander (m=" + std::to_string(r.m) +
                                         " n=" + std::to_string(n) + "); pass it");
  std::vector<float> p = record_p(r);
  if (app_transform) {
    // c = P·S·u: fold the known S_app into the attacker's P.
    std::vector<float> folded(p.size());
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(n), int(n), int(n), 1.0f, p.data(), int(n), app_transform,
                int(n), 0.0f, folded.data(), int(n));
    p.swap(folded);
  }
  VerifierOracle oracle(r);
  detail::Codeword found{};
  bool hit = false;
  if (row_norm_leak(p, n, r.alpha, oracle, &found)) {
    hit = true;
    out.method = "row-norms";
  } else if (!model) {
    out.note = "no expander: the code space is the whole template space, no subspace to search";
  } else {
    const uint32_t k = model->k;
    // B = P·U spans where P·TE(t) lies (P orthogonal keeps U's columns orthonormal); Π = B·Bᵀ.
    std::vector<float> basis(size_t(n) * k), proj(size_t(n) * n, 0.0f);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(n), int(k), int(n), 1.0f, p.data(), int(n),
                model->basis.data(), int(k), 0.0f, basis.data(), int(k));
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, int(n), int(k), 1.0f, basis.data(), int(k), 0.0f, proj.data(),
                int(n));
    for (uint32_t i = 0; i < n; ++i)
      for (uint32_t j = 0; j < i; ++j) proj[size_t(i) * n + j] = proj[size_t(j) * n + i];
    std::vector<float> leak(n);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, int(n), int(n), 1.0f, p.data(), int(n), model->mean.data(), 1, 0.0f,
                leak.data(), 1);
    if (o.mean_leak && oracle.check_vector(leak.data(), &found)) {
      hit = true;
      out.method = "mean-leak";
    }
    if (!hit && o.method != Method::L1 && greedy_pursuit(proj, n, r.alpha, o.polish_iterations, oracle, &found)) {
      hit = true;
      out.method = "greedy";
    }
    if (!hit && o.method != Method::Greedy &&
        l1_pursuit(basis, proj, n, k, r.alpha, o.l1_starts, o.l1_iterations, o.polish_iterations, oracle, &found)) {
      hit = true;
      out.method = "l1";
    }
  }
  out.candidates = oracle.checked();
  if (hit) {
    out.found = true;
    out.codeword = found;
    recover_template(p, n, expander, model, found, o.gauss_newton_steps, out);
  }
  found.wipe();
  secure_zero(p.data(), p.size() * sizeof(float));
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace spheremask::attack
