#include "cli/store_common.hpp"

#include "spheremask/error.hpp"

namespace spheremask::cli {

std::unique_ptr<Engine> engine_for(const RecordConfig& config, EngineFlags flags) {
  const bool has_expander = config.expander_id != std::array<uint8_t, 32>{};
  if (has_expander && flags.expander.empty())
    throw Error(ErrorCode::Mismatch, "records with " + config.describe() + " were made with a template expander: pass --expander");
  flags.n = config.n;
  flags.alpha = config.alpha;
  flags.dtype = config.dtype == Dtype::F16 ? "f16" : "f32";
  return flags.make(config.m);
}

const char* decision_name(Decision d) {
  switch (d) {
    case Decision::Accept: return "accept";
    case Decision::Reject: return "reject";
    case Decision::Tampered: return "tampered";
  }
  return "unknown";
}

}  // namespace spheremask::cli
