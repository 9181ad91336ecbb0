#include "cli/frame_flags.hpp"

#include "spheremask/error.hpp"

namespace spheremask::cli {

void FrameFlags::add_to(CLI::App& cmd) {
  cmd.add_option("--frames-per-probe", per_probe,
                 "K consecutive probe rows are the frames of one probe, verified as their normalized mean")
      ->capture_default_str();  // 0 is refused by probes_in: a one-line error, exit 2
  cmd.add_flag("--any-of-frames", any_of,
               "accept a probe when any of its K frames is accepted instead of their mean "
               "(multiplies the false accept rate by about K)");
}

FrameOptions FrameFlags::options() const {
  FrameOptions o;
  o.per_probe = per_probe;
  o.rule = any_of ? FrameRule::AnyOf : FrameRule::Mean;
  return o;
}

size_t FrameFlags::probes_in(size_t rows, const std::string& file) const {
  if (per_probe == 0) throw Error(ErrorCode::InvalidArgument, "--frames-per-probe must be at least 1");
  if (rows % per_probe != 0)
    throw Error(ErrorCode::InvalidArgument, file + " has " + std::to_string(rows) + " rows, not a multiple of " +
                                                "--frames-per-probe " + std::to_string(per_probe));
  return rows / per_probe;
}

}  // namespace spheremask::cli
