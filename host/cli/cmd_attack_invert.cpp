// `spheremask attack invert`: structural inversion of expander records. Placeholder until the attack lands (issue in progress).
#include "commands.hpp"
#include "spheremask/error.hpp"

namespace spheremask::cli {

void add_attack_invert_command(CLI::App& attack) {
  auto* cmd = attack.add_subcommand("invert", "structural inversion of expander records");
  cmd->callback([] { throw Error(ErrorCode::Unavailable, "attack invert is not built yet"); });
}

}  // namespace spheremask::cli
