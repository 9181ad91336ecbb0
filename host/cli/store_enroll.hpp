// Store mode of `spheremask enroll`: --templates X.npy --ids ids.txt --store db.sqlite. Streams the
// memory-mapped input in batches, one transaction per batch; resumable and kill -9 safe.
#pragma once
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cli/cli_common.hpp"
#include "tools/npy.hpp"
#include "spheremask/store.hpp"
#include "cli/combine_enroll.hpp"

namespace spheremask::cli {

struct StoreEnrollOptions {
  std::string store;  // empty = not store mode
  std::string ids;
  bool replace = false;
};

// Registers --store, --ids and --replace on the enroll subcommand.
std::shared_ptr<StoreEnrollOptions> add_store_enroll_options(CLI::App& cmd);

// Enrolls template rows[k] of x under ids[rows[k]] into store, `batch` rows per transaction (a crash
// loses at most the batch in flight, never a committed one). rows ascending. In deterministic mode
// (options.insecure_seed) a row's index is its template index, so the record does not depend on how
// rows are split between calls or processes. after_batch(rows committed so far) follows each commit.
void enroll_rows(Engine& engine, const NpyMatrix& x, const std::vector<std::string>& ids, std::span<const size_t> rows,
                 Store& store, size_t batch, EnrollOptions options, bool replace,
                 const std::function<void(size_t)>& after_batch);

// Enrolls every row of templates under ids[row], `batch` ids per transaction; with --combine mean the
// rows of one id make one record (an id's rows need not be adjacent). Ids already in the store are
// skipped unless replace, so a rerun resumes. seed_hex non-empty = INSECURE deterministic mode: the
// template index of an id is its position among the distinct ids in order of first appearance (the
// row index when ids do not repeat).
void run_store_enroll(const EngineFlags& flags, const StoreEnrollOptions& options, const std::string& templates,
                      size_t batch, const std::string& seed_hex, const CombineFlags& combine);

}  // namespace spheremask::cli
