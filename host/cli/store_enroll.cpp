#include "cli/store_enroll.hpp"

#include <algorithm>
#include <cstdio>

#include "tools/npy.hpp"
#include "cli/progress.hpp"
#include "spheremask/error.hpp"
#include "spheremask/store.hpp"
#include "cli/store_ids.hpp"

namespace spheremask::cli {

std::shared_ptr<StoreEnrollOptions> add_store_enroll_options(CLI::App& cmd) {
  auto o = std::make_shared<StoreEnrollOptions>();
  cmd.add_option("--store", o->store, "SQLite store to enroll into (created if absent; instead of --out)");
  cmd.add_option("--ids", o->ids,
                 "subject ids, one per line, line i naming template row i (with --store; with --out needs --combine)");
  cmd.add_flag("--replace", o->replace, "re-enroll ids already in the store (default: skip them, so a rerun resumes)")
      ->needs("--store");
  return o;
}

void enroll_rows(Engine& engine, const NpyMatrix& x, const std::vector<std::string>& ids, std::span<const size_t> rows,
                 Store& store, size_t batch, EnrollOptions options, bool replace,
                 const std::function<void(size_t)>& after_batch) {
  batch = std::max<size_t>(batch, 1);
  std::vector<float> staging;  // rows of a scattered batch gathered for one engine call (zeroized after)
  for (size_t begin = 0; begin < rows.size(); begin += batch) {
    const size_t end = std::min(rows.size(), begin + batch);
    std::vector<Record> records;
    std::vector<std::string> batch_ids;
    records.reserve(end - begin);
    const bool contiguous = rows[end - 1] - rows[begin] == end - 1 - begin;
    if (contiguous || options.insecure_seed) {
      // One engine call per contiguous run, reading straight from the memory map; first_index = row
      // keeps deterministic mode independent of batching and resumes.
      for (size_t run = begin; run < end;) {
        size_t run_end = run + 1;
        while (run_end < end && rows[run_end] == rows[run_end - 1] + 1) ++run_end;
        options.first_index = rows[run];
        auto part = engine.enroll(x.row(rows[run]), run_end - run, options);
        for (auto& r : part) records.push_back(std::move(r));
        run = run_end;
      }
    } else {
      // Scattered rows (a shard's share of the input): one call for the whole batch keeps it a batch.
      staging.resize((end - begin) * x.cols());
      for (size_t k = begin; k < end; ++k)
        std::copy(x.row(rows[k]), x.row(rows[k]) + x.cols(), staging.data() + (k - begin) * x.cols());
      records = engine.enroll(staging.data(), end - begin, options);
      secure_zero(staging.data(), staging.size() * sizeof(float));
    }
    for (size_t k = begin; k < end; ++k) batch_ids.push_back(ids[rows[k]]);
    store.put(batch_ids, records, replace);  // one transaction: the whole batch or nothing
    after_batch(end);
  }
}

void run_store_enroll(const EngineFlags& flags, const StoreEnrollOptions& options, const std::string& templates,
                      size_t batch, const std::string& seed_hex, const CombineFlags& combine) {
  if (options.ids.empty()) throw Error(ErrorCode::InvalidArgument, "--store needs --ids");
  // Every input check comes before any work: no engine, no store file yet.
  const NpyMatrix x = NpyMatrix::open(templates);
  const std::vector<std::string> ids = read_id_file(options.ids, combine.enabled());
  if (ids.size() != x.rows())
    throw Error(ErrorCode::InvalidArgument, templates + " has " + std::to_string(x.rows()) + " rows but " + options.ids +
                                                " has " + std::to_string(ids.size()) + " ids");
  const IdGroups groups = group_rows_by_id(ids);  // without --combine: one group per row, in row order
  const CombineOptions combine_options = combine.options();
  std::vector<std::vector<size_t>> dropped(groups.ids.size());
  if (combine.enabled()) dropped = check_groups(x, groups, combine_options);
  EnrollOptions eo;
  if (!seed_hex.empty()) {
    eo.insecure_seed = parse_seed_hex(seed_hex);
    std::fprintf(stderr, "spheremask: WARNING: --insecure-seed makes every secret reproducible from the seed; "
                         "records are flagged deterministic and must not protect real templates\n");
  }
  auto engine = flags.make(uint32_t(x.cols()));
  Store store = Store::open(options.store, StoreMode::Create);

  std::vector<size_t> todo;  // groups to enroll, ascending
  todo.reserve(groups.ids.size());
  for (size_t g = 0; g < groups.ids.size(); ++g)
    if (options.replace || !store.contains(groups.ids[g])) todo.push_back(g);
  const size_t skipped = groups.ids.size() - todo.size();
  if (skipped)
    std::fprintf(stderr, "spheremask: %zu of %zu ids already in %s: skipped (--replace re-enrolls them)\n", skipped,
                 groups.ids.size(), options.store.c_str());
  const nlohmann::json dropped_json = report_dropped(groups, dropped, todo);

  Progress progress("enroll", todo.size(), skipped);
  batch = std::max<size_t>(batch, 1);
  size_t samples = 0;
  std::vector<float> rows;
  std::vector<uint32_t> sizes;
  for (size_t begin = 0; begin < todo.size(); begin += batch) {
    const size_t end = std::min(todo.size(), begin + batch);
    std::vector<Record> records;
    std::vector<std::string> batch_ids;
    records.reserve(end - begin);
    // Groups of a batch are contiguous except around skipped ids: one engine call per contiguous run;
    // first_index = the group's index keeps deterministic mode resumable (a group of one row gives
    // exactly the record enroll makes of that row).
    for (size_t run = begin; run < end;) {
      size_t run_end = run + 1;
      while (run_end < end && todo[run_end] == todo[run_end - 1] + 1) ++run_end;
      eo.first_index = todo[run];
      gather_groups(x, groups, todo[run], todo[run_end - 1] + 1, rows, sizes);
      auto part = engine->enroll_groups(rows.data(), sizes, eo, combine_options);
      secure_zero(rows.data(), rows.size() * sizeof(float));
      for (auto& r : part.records) {
        samples += r.samples;
        records.push_back(std::move(r));
      }
      run = run_end;
    }
    for (size_t k = begin; k < end; ++k) batch_ids.push_back(groups.ids[todo[k]]);
    try {
      store.put(batch_ids, records, options.replace);  // one transaction: the whole batch or nothing
    } catch (const Error& e) {
      // Disk full, read-only medium, I/O error: say what is kept and how to go on.
      throw Error(e.code(), std::string(e.what()) + "; " + std::to_string(skipped + begin) + " of " +
                                std::to_string(groups.ids.size()) + " ids are in the store; rerun the same command to resume");
    }
    progress.update(end);
  }
  progress.finish();
  std::fprintf(stderr, "enrolled %zu ids from %zu samples on %s into %s (%zu skipped); the store holds %zu records\n",
               todo.size(), samples, engine->device_name().c_str(), options.store.c_str(), skipped, store.count());
  if (combine.json)
    print_json({{"enrolled", todo.size()}, {"samples", samples}, {"skipped", skipped}, {"dropped", dropped_json}});
}

}  // namespace spheremask::cli
