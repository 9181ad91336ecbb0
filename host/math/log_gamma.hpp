// ln|Γ(x)| without global state: std::lgamma stores the sign of Γ(x) in the global `signgam`, a data
// race when record parsing (code_bits) or security estimates run on several threads at once.
#pragma once
#include <math.h>

namespace spheremask::internal {

inline double log_gamma(double x) {
  int sign = 0;  // Γ(x) > 0 for every x > 0, the only arguments used here
  return ::lgamma_r(x, &sign);
}

}  // namespace spheremask::internal
