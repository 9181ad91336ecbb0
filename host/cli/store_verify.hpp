// Store mode of `spheremask verify`: 1:1 check of one probe row against the record of a claimed id.
#pragma once
#include <memory>
#include <string>

#include "cli/cli_common.hpp"
#include "spheremask/store.hpp"
#include "cli/frame_flags.hpp"

namespace spheremask::cli {

struct StoreVerifyOptions {
  std::string store;  // empty = not store mode
  std::string id;
  size_t row = 0;
  bool upgrade_on_verify = false;  // rewrite a v1 record as v2 after a genuine verification
};

// Registers --store, --id, --row and --upgrade-on-verify on the verify subcommand.
std::shared_ptr<StoreVerifyOptions> add_store_verify_options(CLI::App& cmd);

// The decision for one probe (frames.per_probe consecutive rows of dim floats) against the stored record
// of id: Error{Store} when the id is absent, Error{Mismatch} when the probe's dimension is not the
// record's m. Warns on stderr when tampered.
Decision verify_stored(const EngineFlags& flags, const Store& store, const std::string& id, const float* probe,
                       size_t dim, const std::string& probe_name, const FrameFlags& frames = {});

// Prints "accept" / "reject" / "tampered" for probe `row` of templates against the record of id
// (JSON: {"id", "row", "decision"}, plus "upgraded" with --upgrade-on-verify). With K frames per probe, probe `row` is rows row·K … row·K+K−1.
void run_store_verify(const EngineFlags& flags, const StoreVerifyOptions& options, const std::string& templates,
                      bool json, const FrameFlags& frames);

}  // namespace spheremask::cli
