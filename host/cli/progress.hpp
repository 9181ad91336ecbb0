// Progress of a long run on stderr: a redrawn bar with rate and ETA on a terminal, plain periodic
// lines otherwise (logs, pipes, CI).
#pragma once
#include <chrono>
#include <cstddef>
#include <string>

namespace spheremask::cli {

class Progress {
 public:
  // total: items this run will process; the rate and ETA count only these. already: items done by an
  // earlier run (a resume), shown in the counts so the bar reads against the whole input.
  Progress(std::string label, size_t total, size_t already = 0, double plain_interval_s = 10.0);
  void update(size_t done);  // items processed so far
  void finish();             // final line (also on a terminal)

 private:
  void draw(bool final);
  std::string label_;
  size_t total_, already_, done_ = 0;
  bool tty_;
  double interval_s_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool finished_ = false;
};

std::string format_duration(double seconds);  // "1h02m03s", "4m05s", "6s"

}  // namespace spheremask::cli
