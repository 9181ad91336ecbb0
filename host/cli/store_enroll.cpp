#include "store_enroll.hpp"

#include <algorithm>
#include <cstdio>

#include "npy.hpp"
#include "progress.hpp"
#include "spheremask/error.hpp"
#include "spheremask/store.hpp"
#include "store_ids.hpp"

namespace spheremask::cli {

std::shared_ptr<StoreEnrollOptions> add_store_enroll_options(CLI::App& cmd) {
  auto o = std::make_shared<StoreEnrollOptions>();
  auto* store = cmd.add_option("--store", o->store, "SQLite store to enroll into (created if absent; instead of --out)");
  cmd.add_option("--ids", o->ids, "subject ids, one per line, line i naming template row i (with --store)")->needs(store);
  cmd.add_flag("--replace", o->replace, "re-enroll ids already in the store (default: skip them, so a rerun resumes)")
      ->needs(store);
  return o;
}

void run_store_enroll(const EngineFlags& flags, const StoreEnrollOptions& options, const std::string& templates,
                      size_t batch, const std::string& seed_hex) {
  if (options.ids.empty()) throw Error(ErrorCode::InvalidArgument, "--store needs --ids");
  // Every input check comes before any work: no engine, no store file yet.
  const NpyMatrix x = NpyMatrix::open(templates);
  const std::vector<std::string> ids = read_id_file(options.ids);
  if (ids.size() != x.rows())
    throw Error(ErrorCode::InvalidArgument, templates + " has " + std::to_string(x.rows()) + " rows but " + options.ids +
                                                " has " + std::to_string(ids.size()) + " ids");
  EnrollOptions eo;
  if (!seed_hex.empty()) {
    eo.insecure_seed = parse_seed_hex(seed_hex);
    std::fprintf(stderr, "spheremask: WARNING: --insecure-seed makes every secret reproducible from the seed; "
                         "records are flagged deterministic and must not protect real templates\n");
  }
  auto engine = flags.make(uint32_t(x.cols()));
  Store store = Store::open(options.store, StoreMode::Create);

  std::vector<size_t> todo;  // rows to enroll, ascending
  todo.reserve(ids.size());
  for (size_t row = 0; row < ids.size(); ++row)
    if (options.replace || !store.contains(ids[row])) todo.push_back(row);
  const size_t skipped = ids.size() - todo.size();
  if (skipped)
    std::fprintf(stderr, "spheremask: %zu of %zu ids already in %s: skipped (--replace re-enrolls them)\n", skipped,
                 ids.size(), options.store.c_str());

  Progress progress("enroll", todo.size(), skipped);
  batch = std::max<size_t>(batch, 1);
  for (size_t begin = 0; begin < todo.size(); begin += batch) {
    const size_t end = std::min(todo.size(), begin + batch);
    std::vector<Record> records;
    std::vector<std::string> batch_ids;
    records.reserve(end - begin);
    // Rows of a batch are contiguous except around skipped ids: one engine call per contiguous run,
    // reading straight from the memory map; first_index = row keeps deterministic mode resumable.
    for (size_t run = begin; run < end;) {
      size_t run_end = run + 1;
      while (run_end < end && todo[run_end] == todo[run_end - 1] + 1) ++run_end;
      eo.first_index = todo[run];
      auto part = engine->enroll(x.row(todo[run]), run_end - run, eo);
      for (auto& r : part) records.push_back(std::move(r));
      run = run_end;
    }
    for (size_t k = begin; k < end; ++k) batch_ids.push_back(ids[todo[k]]);
    try {
      store.put(batch_ids, records, options.replace);  // one transaction: the whole batch or nothing
    } catch (const Error& e) {
      // Disk full, read-only medium, I/O error: say what is kept and how to go on.
      throw Error(e.code(), std::string(e.what()) + "; " + std::to_string(skipped + begin) + " of " +
                                std::to_string(ids.size()) + " ids are in the store; rerun the same command to resume");
    }
    progress.update(end);
  }
  progress.finish();
  std::fprintf(stderr, "enrolled %zu templates on %s into %s (%zu skipped); the store holds %zu records\n", todo.size(),
               engine->device_name().c_str(), options.store.c_str(), skipped, store.count());
}

}  // namespace spheremask::cli
