// Configurations for `eval --sweep` and `security --recommend --target-far`.
// Text form: configurations separated by ';' or newlines; inside one, key=value items separated by ',' or spaces;
// '#' starts a comment. Keys: n, alpha, enroll-samples, probe-frames, reserve, outlier-deg, expander, app-key-file,
// list-angle (degrees, 0 = off), list-max (EngineOptions::list_decoding). A key left out
// keeps the command line's value. Giving enroll-samples, probe-frames, reserve or outlier-deg selects the samples
// protocol (protocol.hpp).
//   "alpha=12 enroll-samples=3; alpha=16 enroll-samples=5 reserve=5"
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eval/protocol.hpp"

namespace spheremask::eval {

struct SweepConfig {
  uint32_t n = 0;  // 0 = the template dimension (or the expander's output)
  uint32_t alpha = 16;
  std::string expander, app_key_file;  // paths; empty = none
  double list_angle_deg = 0;           // list decoding (0 = off)
  uint32_t list_max = 4096;
  Protocol protocol;
  std::string text;  // the configuration as written, for messages
};

// An angle in (0, max] degrees written as a whole decimal number; nullopt for anything else.
std::optional<double> parse_degrees(const std::string& text, double max);

// Parses the text form; `base` supplies the values of keys a configuration leaves out. Throws Error{InvalidArgument}
// naming the configuration and key for unknown keys, missing '=', or values that are not numbers.
std::vector<SweepConfig> parse_sweep(const std::string& text, const SweepConfig& base);

// `arg` is a list when it contains '=', otherwise the path of a file holding one (Error{Io} when unreadable).
std::vector<SweepConfig> read_sweep(const std::string& arg, const SweepConfig& base);

}  // namespace spheremask::eval
