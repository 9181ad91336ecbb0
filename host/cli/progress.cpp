#include "cli/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace spheremask::cli {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = long(std::lround(seconds));
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm%02lds", s / 3600, s / 60 % 60, s % 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%lds", s);
  return buf;
}

Progress::Progress(std::string label, size_t total, size_t already, double plain_interval_s)
    : label_(std::move(label)), total_(total), already_(already), tty_(isatty(STDERR_FILENO) == 1), interval_s_(plain_interval_s),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

void Progress::update(size_t done) {
  done_ = done;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  if (since >= (tty_ ? 0.2 : interval_s_)) draw(false);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  draw(true);
}

void Progress::draw(bool final) {
  last_draw_ = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(last_draw_ - start_).count();
  const double rate = elapsed > 0 ? double(done_) / elapsed : 0.0;
  const double eta = rate > 0 ? double(total_ - done_) / rate : NAN;
  const size_t shown = already_ + done_, whole = already_ + total_;
  const double pct = whole ? 100.0 * double(shown) / double(whole) : 100.0;
  if (tty_) {
    constexpr int width = 30;
    const int filled = int(width * pct / 100.0);
    std::string bar(size_t(filled), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r%s [%s] %zu/%zu %5.1f%%  %.1f/s  %s %s\033[K", label_.c_str(), bar.c_str(), shown, whole,
                 pct, rate, final ? "in" : "ETA", format_duration(final ? elapsed : eta).c_str());
    if (final) std::fputc('\n', stderr);
  } else {
    std::fprintf(stderr, "%s: %zu/%zu (%.1f%%) %.1f/s %s %s\n", label_.c_str(), shown, whole, pct, rate,
                 final ? "elapsed" : "ETA", format_duration(final ? elapsed : eta).c_str());
  }
  std::fflush(stderr);
}

}  // namespace spheremask::cli
