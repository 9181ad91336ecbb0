// `spheremask attack dictionary`: false-accept attack with real face templates. Placeholder until the attack lands (issue in progress).
#include "commands.hpp"
#include "spheremask/error.hpp"

namespace spheremask::cli {

void add_attack_dictionary_command(CLI::App& attack) {
  auto* cmd = attack.add_subcommand("dictionary", "false-accept attack with real face templates");
  cmd->callback([] { throw Error(ErrorCode::Unavailable, "attack dictionary is not built yet"); });
}

}  // namespace spheremask::cli
