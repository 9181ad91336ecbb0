#include "eval/sweep_config.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "spheremask/error.hpp"

namespace spheremask::eval {
namespace {

std::vector<std::string> split(const std::string& s, const std::string& separators) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (separators.find(c) != std::string::npos) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

uint64_t number(const std::string& config, const std::string& key, const std::string& value, uint64_t max) {
  const auto bad = [&] {
    return Error(ErrorCode::InvalidArgument, "sweep configuration '" + config + "': " + key + "=" + value +
                                                 " is not a whole number up to " + std::to_string(max));
  };
  if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos || value.size() > 12) throw bad();
  const uint64_t v = std::stoull(value);
  if (v > max) throw bad();
  return v;
}

double angle(const std::string& config, const std::string& key, const std::string& value, double max = 180) {
  const auto v = parse_degrees(value, max);
  if (!v)
    throw Error(ErrorCode::InvalidArgument, "sweep configuration '" + config + "': " + key + "=" + value +
                                                " is not an angle in (0, " + std::to_string(int(max)) + "] degrees");
  return *v;
}

}  // namespace

std::optional<double> parse_degrees(const std::string& text, double max) {
  size_t used = 0;
  double v = -1;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used != text.size() || !(v > 0 && v <= max)) return std::nullopt;
  return v;
}

std::vector<SweepConfig> parse_sweep(const std::string& text, const SweepConfig& base) {
  std::string clean;
  for (const auto& line : split(text, "\n")) clean += line.substr(0, line.find('#')) + "\n";
  std::vector<SweepConfig> out;
  for (const auto& raw : split(clean, ";\n")) {
    const auto items = split(raw, ", \t\r");
    if (items.empty()) continue;
    SweepConfig c = base;
    c.text.clear();
    for (const auto& item : items) c.text += (c.text.empty() ? "" : " ") + item;
    for (const auto& item : items) {
      const size_t eq = item.find('=');
      if (eq == std::string::npos || eq == 0)
        throw Error(ErrorCode::InvalidArgument, "sweep configuration '" + c.text + "': '" + item + "' is not key=value");
      const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
      if (key == "n") c.n = uint32_t(number(c.text, key, value, 16384));
      else if (key == "alpha") c.alpha = uint32_t(number(c.text, key, value, 64));
      else if (key == "enroll-samples") { c.protocol.enroll_samples = uint32_t(number(c.text, key, value, 1u << 20)); c.protocol.samples = true; }
      else if (key == "probe-frames") { c.protocol.probe_frames = uint32_t(number(c.text, key, value, 1u << 20)); c.protocol.samples = true; }
      else if (key == "reserve") { c.protocol.reserve = uint32_t(number(c.text, key, value, 1u << 20)); c.protocol.samples = true; }
      else if (key == "outlier-deg") { c.protocol.outlier_deg = angle(c.text, key, value); c.protocol.samples = true; }
      else if (key == "list-angle") c.list_angle_deg = value == "0" ? 0.0 : angle(c.text, key, value, 80);
      else if (key == "list-max") c.list_max = uint32_t(number(c.text, key, value, 1u << 20));  // 0: refused by the engine
      else if (key == "expander") c.expander = value;
      else if (key == "app-key-file") c.app_key_file = value;
      else
        throw Error(ErrorCode::InvalidArgument, "sweep configuration '" + c.text + "': unknown key '" + key +
                                                    "' (n, alpha, enroll-samples, probe-frames, reserve, outlier-deg, "
                                                    "expander, app-key-file, list-angle, list-max)");
    }
    out.push_back(std::move(c));
  }
  if (out.empty()) throw Error(ErrorCode::InvalidArgument, "sweep: no configuration given");
  return out;
}

std::vector<SweepConfig> read_sweep(const std::string& arg, const SweepConfig& base) {
  if (arg.find('=') != std::string::npos) return parse_sweep(arg, base);
  std::ifstream in(arg);
  if (!in) throw Error(ErrorCode::Io, arg + ": cannot open the sweep file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_sweep(ss.str(), base);
}

}  // namespace spheremask::eval
