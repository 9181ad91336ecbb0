// `spheremask attack link`: PLRA: link and invert several records of one person. Placeholder until the attack lands (issue in progress).
#include "commands.hpp"
#include "spheremask/error.hpp"

namespace spheremask::cli {

void add_attack_link_command(CLI::App& attack) {
  auto* cmd = attack.add_subcommand("link", "PLRA: link and invert several records of one person");
  cmd->callback([] { throw Error(ErrorCode::Unavailable, "attack link is not built yet"); });
}

}  // namespace spheremask::cli
