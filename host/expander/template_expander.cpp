#include "expander/template_expander.hpp"

#include "expander/expander_net.hpp"
#include "spheremask/error.hpp"

namespace spheremask::internal {

void TemplateExpander::forward(const float* in, size_t count, float* out) const {
  if (count == 0) return;
  if (in == nullptr || out == nullptr) throw Error(ErrorCode::InvalidArgument, "expander forward: null buffer");
  te_forward(weights_, in, count, out);
}

}  // namespace spheremask::internal
