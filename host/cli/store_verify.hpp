// Store mode of `spheremask verify`: 1:1 check of one probe row against the record of a claimed id.
#pragma once
#include <memory>
#include <string>

#include "cli_common.hpp"

namespace spheremask::cli {

struct StoreVerifyOptions {
  std::string store;  // empty = not store mode
  std::string id;
  size_t row = 0;
  bool upgrade_on_verify = false;  // rewrite a v1 record as v2 after a genuine verification
};

// Registers --store, --id, --row and --upgrade-on-verify on the verify subcommand.
std::shared_ptr<StoreVerifyOptions> add_store_verify_options(CLI::App& cmd);

// Prints "accept" / "reject" / "tampered" for probe row `row` of templates against the record of id
// (JSON: {"id", "row", "decision"}, plus "upgraded" with --upgrade-on-verify).
void run_store_verify(const EngineFlags& flags, const StoreVerifyOptions& options, const std::string& templates,
                      bool json);

}  // namespace spheremask::cli
