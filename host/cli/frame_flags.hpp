// --frames-per-probe K / --any-of-frames for verify and identify: K consecutive probe rows make one claim.
#pragma once
#include <cstddef>
#include <string>

#include "cli/cli_common.hpp"
#include "spheremask/multi_sample.hpp"

namespace spheremask::cli {

struct FrameFlags {
  uint32_t per_probe = 1;
  bool any_of = false;
  void add_to(CLI::App& cmd);
  FrameOptions options() const;
  // Probes in a file of `rows` rows; throws Error{InvalidArgument} naming the file when K does not divide them.
  size_t probes_in(size_t rows, const std::string& file) const;
};

}  // namespace spheremask::cli
