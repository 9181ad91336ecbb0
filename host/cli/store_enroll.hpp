// Store mode of `spheremask enroll`: --templates X.npy --ids ids.txt --store db.sqlite. Streams the
// memory-mapped input in batches, one transaction per batch; resumable and kill -9 safe.
#pragma once
#include <memory>
#include <string>

#include "cli_common.hpp"
#include "combine_enroll.hpp"

namespace spheremask::cli {

struct StoreEnrollOptions {
  std::string store;  // empty = not store mode
  std::string ids;
  bool replace = false;
};

// Registers --store, --ids and --replace on the enroll subcommand.
std::shared_ptr<StoreEnrollOptions> add_store_enroll_options(CLI::App& cmd);

// Enrolls every row of templates under ids[row], `batch` ids per transaction; with --combine mean the
// rows of one id make one record (an id's rows need not be adjacent). Ids already in the store are
// skipped unless replace, so a rerun resumes. seed_hex non-empty = INSECURE deterministic mode: the
// template index of an id is its position among the distinct ids in order of first appearance (the
// row index when ids do not repeat).
void run_store_enroll(const EngineFlags& flags, const StoreEnrollOptions& options, const std::string& templates,
                      size_t batch, const std::string& seed_hex, const CombineFlags& combine);

}  // namespace spheremask::cli
