// Shared by the store subcommands (enroll --store, verify --store, identify).
#pragma once
#include <memory>

#include "cli/cli_common.hpp"
#include "spheremask/store.hpp"

namespace spheremask::cli {

// An engine for records of one configuration: n, alpha and dtype come from the records; backend,
// threads, expander and --allow-weak from the flags. A record made with an expander needs --expander.
std::unique_ptr<Engine> engine_for(const RecordConfig& config, EngineFlags flags);

const char* decision_name(Decision d);  // "accept", "reject", "tampered"

}  // namespace spheremask::cli
