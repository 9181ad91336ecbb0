// `spheremask attack`: the attacks the design is measured against (DESIGN §3), run on real records.
#include "cli/commands.hpp"

namespace spheremask::cli {

void add_attack_command(CLI::App& app) {
  auto* attack = app.add_subcommand("attack", "attack records as an adversary would (invert, link, dictionary)");
  attack->require_subcommand(1);
  add_attack_invert_command(*attack);
  add_attack_link_command(*attack);
  add_attack_dictionary_command(*attack);
}

}  // namespace spheremask::cli
