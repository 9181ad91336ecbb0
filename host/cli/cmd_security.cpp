// `spheremask security`: code size in bits and minimum codeword angle.
#include <cstdio>

#include "spheremask/error.hpp"

#include "cli_common.hpp"
#include "commands.hpp"

namespace spheremask::cli {
namespace {

struct PaperCode { uint32_t n, alpha; };
constexpr PaperCode kPaperCodes[] = {{512, 11}, {512, 12}, {512, 13}, {512, 14}, {512, 15}, {512, 16}, {512, 17},
                                     {512, 18}, {1024, 14}, {2048, 12}, {4096, 10}, {8192, 10}};

nlohmann::json describe(uint32_t n, uint32_t alpha) {
  return {{"n", n}, {"alpha", alpha}, {"bits", code_bits(n, alpha)}, {"min_angle_deg", min_angle_deg(alpha)}};
}

}  // namespace

void add_security_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("security", "code size (bits) and minimum angle of C(n, alpha)");
  auto n = std::make_shared<uint32_t>(512);
  auto alpha = std::make_shared<uint32_t>(16);
  auto json = std::make_shared<bool>(false);
  auto table = std::make_shared<bool>(false);
  cmd->add_option("--n", *n, "code dimension")->capture_default_str();
  cmd->add_option("--alpha", *alpha, "nonzeros per codeword")->capture_default_str();
  cmd->add_flag("--json", *json, "machine-readable output");
  cmd->add_flag("--table", *table, "the published configurations");
  cmd->callback([=] {
    if (*table) {
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& c : kPaperCodes) rows.push_back(describe(c.n, c.alpha));
      if (*json) return print_json(rows);
      std::printf("%6s %6s %10s %15s\n", "n", "alpha", "code bits", "min angle (deg)");
      for (const auto& r : rows)
        std::printf("%6u %6u %10.1f %15.2f\n", r["n"].get<uint32_t>(), r["alpha"].get<uint32_t>(), r["bits"].get<double>(),
                    r["min_angle_deg"].get<double>());
      return;
    }
    if (*alpha < 1 || *alpha >= *n) throw Error(ErrorCode::InvalidArgument, "need 1 <= alpha < n");
    const auto d = describe(*n, *alpha);
    if (*json) return print_json(d);
    std::printf("C(%u, %u): %.1f bits of code size, minimum angle between codewords %.2f degrees\n", *n, *alpha,
                d["bits"].get<double>(), d["min_angle_deg"].get<double>());
  });
}

}  // namespace spheremask::cli
