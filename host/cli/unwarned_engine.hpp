// EngineFlags::make in its two steps, for a command that must decide when the weak-code warning is
// printed: `verify --records` makes its engine from the first record file and prints the warning only
// once every file has been read, so that a bad file still ends the command with one line on stderr.
#pragma once
#include <cstdint>
#include <memory>

#include "cli/cli_common.hpp"

namespace spheremask::cli {

// EngineFlags::make without the warning.
std::unique_ptr<Engine> make_engine_unwarned(const EngineFlags& flags, uint32_t m);
// The warning EngineFlags::make prints on stderr for a code under kWarnBits bits.
void warn_if_weak_code(uint32_t n, uint32_t alpha);

}  // namespace spheremask::cli
