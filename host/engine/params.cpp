#include "spheremask/params.hpp"

#include <cmath>
#include <numbers>
#include <string>

#include "math/log_gamma.hpp"
#include "spheremask/detail/codeword.hpp"
#include "spheremask/error.hpp"
#include "spheremask/expander.hpp"

namespace spheremask {

double code_bits(uint32_t n, uint32_t alpha) {
  using internal::log_gamma;
  const double ln_binom = log_gamma(double(n) + 1) - log_gamma(double(alpha) + 1) - log_gamma(double(n - alpha) + 1);
  return ln_binom / std::numbers::ln2 + alpha;
}

double min_angle_deg(uint32_t alpha) {
  return std::acos((double(alpha) - 1.0) / double(alpha)) * 180.0 / std::numbers::pi;
}

void validate(const Params& p) {
  auto bad = [](const std::string& msg) { throw Error(ErrorCode::InvalidArgument, msg); };
  if (p.n < 2 || p.n > detail::kMaxN) bad("n = " + std::to_string(p.n) + " is outside 2..16384");
  if (p.alpha < 1 || p.alpha > uint32_t(detail::kMaxAlpha))
    bad("alpha = " + std::to_string(p.alpha) + " is outside 1..64");
  if (p.alpha >= p.n) bad("alpha must be smaller than n");
  if (p.m < 1 || p.m > detail::kMaxN) bad("m = " + std::to_string(p.m) + " is outside 1..16384");
  if (p.dtype != Dtype::F32 && p.dtype != Dtype::F16) bad("unknown P dtype");
  if (p.expander) {
    if (p.expander->input_dim() != p.m || p.expander->output_dim() != p.n)
      bad("expander maps " + std::to_string(p.expander->input_dim()) + " -> " +
          std::to_string(p.expander->output_dim()) + " but parameters say m = " + std::to_string(p.m) +
          ", n = " + std::to_string(p.n));
  } else if (p.m != p.n) {
    bad("without an expander the code dimension n must equal the template dimension m");
  }
  const double bits = code_bits(p.n, p.alpha);
  if (bits < kMinBits && !p.allow_weak)
    throw Error(ErrorCode::WeakParameters,
                "code C(" + std::to_string(p.n) + ", " + std::to_string(p.alpha) + ") has only " +
                    std::to_string(bits) + " bits (< 80); pass allow_weak to use it anyway");
}

}  // namespace spheremask
