// `security --recommend --target-far F --templates calib.npy --labels calib.txt`: the configuration with the highest
// TAR whose FAR on the calibration set is certified ≤ F (eval/recommend_far.hpp), among those with --bits effective
// bits that no attack breaks.
#pragma once
#include <CLI/CLI.hpp>

#include <string>

#include "cli/eval_report.hpp"
#include "tools/security_estimate.hpp"

namespace spheremask::cli {

struct RecommendFarFlags {
  double target_far = 0;
  std::string templates, labels, candidates, mode = "fast", backend = "auto";
  uint32_t extra_alphas = 4;
  std::string list_angles = "auto";  // list-decoding candidates: auto, none, or degrees separated by commas
  ProtocolFlags protocol;
  CLI::Option* target = nullptr;
  void add_to(CLI::App& cmd);
  bool requested() const { return target && target->count() > 0; }
  // Attacks and measures the candidates (`attack invert` on `attack_records` fresh records of each one with an
  // expander), prints the choice (JSON or text); Error{InvalidArgument} when none is certified.
  void run(double bits, const security::EstimateOptions& est, bool json, size_t attack_records) const;
  // --list-angles resolved for templates of dimension m (auto: eval::auto_list_angles).
  std::vector<double> parse_list_angles(uint32_t m, double bits, const security::EstimateOptions& est) const;
};

}  // namespace spheremask::cli
