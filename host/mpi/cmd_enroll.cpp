// `spheremask-mpi enroll`: every rank maps the whole input and enrolls the ids whose shard it owns,
// into that shard's ordinary store, one transaction per batch. Ids already stored are skipped, so
// rerunning the same command after a crash resumes it. While enrolling, ranks talk only through
// non-blocking progress messages and one final report each: no collective a dead rank could hang
// (the launcher ends the whole job when a rank dies).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "cli/cli_common.hpp"
#include "mpi/commands.hpp"
#include "mpi/enroll_progress.hpp"
#include "tools/npy.hpp"
#include "shard/shard_layout.hpp"
#include "shard/shard_manifest.hpp"
#include "mpi/shard_config.hpp"
#include "cli/store_enroll.hpp"
#include "cli/store_ids.hpp"

namespace spheremask::mpi {
namespace {

struct Opts {
  cli::EngineFlags engine;
  std::string templates, ids, shards;
  uint32_t shard_count = 0;
  size_t batch = 256;
  std::string seed_hex;
  double progress_s = 10.0;
  int batch_pause_ms = 0;  // hidden --batch-pause-ms: see add_enroll_command
};

// A shard this rank owns and the rows of the input it still has to enroll there.
struct ShardWork {
  uint32_t shard;
  Store store;
  std::vector<size_t> rows;
};

void run(const Opts& o, bool dtype_given, const Job& job) {
  const auto start = std::chrono::steady_clock::now();
  cli::EngineFlags flags = o.engine;
  if (!dtype_given) flags.dtype = "f16";  // a store is a gallery: f16 P unless asked otherwise (as `spheremask enroll --store`)
  flags.threads = rank_threads(job, flags.threads);
  flags.device = rank_device(job);

  // 1. Inputs and the engine on every rank; rank 0 creates the manifest or checks the existing one.
  std::optional<NpyMatrix> x;
  std::vector<std::string> ids;
  std::unique_ptr<Engine> engine;
  EnrollOptions eo;
  RecordConfig config;
  agree(job, capture([&] {
    x.emplace(NpyMatrix::open(o.templates));
    ids = cli::read_id_file(o.ids);
    if (ids.size() != x->rows())
      throw Error(ErrorCode::InvalidArgument, o.templates + " has " + std::to_string(x->rows()) + " rows but " + o.ids +
                                                  " has " + std::to_string(ids.size()) + " ids");
    if (!o.seed_hex.empty()) eo.insecure_seed = cli::parse_seed_hex(o.seed_hex);
    engine = flags.make(uint32_t(x->cols()));
    config = config_of(engine->params());
    if (!job.root()) return;
    if (!o.seed_hex.empty())
      std::fprintf(stderr, "spheremask-mpi: WARNING: --insecure-seed makes every secret reproducible from the seed; "
                           "records are flagged deterministic and must not protect real templates\n");
    if (std::filesystem::exists(shard::manifest_path(o.shards))) {
      const auto manifest = shard::read_manifest(o.shards);
      if (o.shard_count != 0 && o.shard_count != manifest.shard_count)
        throw Error(ErrorCode::Mismatch, "--shards-count " + std::to_string(o.shard_count) + " but " + o.shards +
                                             " has " + std::to_string(manifest.shard_count) + " shards");
      shard::require_config(manifest, config, "this enrollment");
    } else {
      shard::ShardManifest manifest;
      manifest.shard_count = o.shard_count ? o.shard_count : uint32_t(job.size);
      manifest.config = config;
      shard::owned_shards(0, uint32_t(job.size), manifest.shard_count);  // K ≤ S before anything is written
      shard::write_manifest(o.shards, manifest);
    }
  }));

  // 2. Every rank opens (creating) the shards it owns, checks they belong here, and lists its rows.
  shard::ShardManifest manifest;
  std::vector<ShardWork> work;
  uint64_t counts[2] = {0, 0};  // rows to enroll, rows already stored
  agree(job, capture([&] {
    manifest = shard::read_manifest(o.shards);
    shard::require_config(manifest, config, "this enrollment");
    for (uint32_t s : shard::owned_shards(uint32_t(job.rank), uint32_t(job.size), manifest.shard_count))
      work.push_back({s, shard::open_shard(o.shards, manifest, s, StoreMode::Create), {}});
    const uint32_t first = work.front().shard;
    for (size_t row = 0; row < ids.size(); ++row) {
      const uint32_t s = shard::shard_of(ids[row], manifest.shard_count);
      if (shard::owner_of(s, uint32_t(job.size)) != uint32_t(job.rank)) continue;
      ShardWork& w = work[(s - first) / uint32_t(job.size)];
      if (w.store.contains(ids[row])) ++counts[1];
      else w.rows.push_back(row);
    }
    for (const auto& w : work) counts[0] += w.rows.size();
  }));
  uint64_t totals[2] = {0, 0};
  MPI_Allreduce(counts, totals, 2, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  if (job.root() && totals[1] > 0)
    std::fprintf(stderr, "spheremask-mpi: %llu of %zu ids already in %s: skipped\n", (unsigned long long)totals[1],
                 ids.size(), o.shards.c_str());

  // 3. Enrollment: no collective from here until every report is in.
  ProgressChannel channel(job, totals[0], totals[1], o.progress_s);
  Report mine;
  mine.skipped = counts[1];
  mine.device = engine->device_name();
  const int pause_ms = o.batch_pause_ms;
  mine.failure = capture([&] {
    for (auto& w : work) {
      const uint64_t before = mine.enrolled;
      cli::enroll_rows(*engine, *x, ids, w.rows, w.store, o.batch, eo, false, [&](size_t done) {
        mine.enrolled = before + done;
        channel.post(mine.enrolled);
        if (pause_ms) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
      });
    }
  });
  for (const auto& w : work) {
    mine.shards.push_back(w.shard);
    try {
      mine.records += w.store.count();
    } catch (const std::exception&) {  // the failure above (if any) is the one to report
    }
  }
  mine.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto reports = channel.finish(mine);
  if (!job.root()) {
    if (mine.failure) throw JobFailed();  // rank 0 reports it
    return;
  }

  bool failed = false;
  nlohmann::json per_rank = nlohmann::json::array();
  uint64_t enrolled = 0, skipped = 0, records = 0;
  for (size_t r = 0; r < reports.size(); ++r) {
    const Report& rep = reports[r];
    if (rep.failure) {
      failed = true;
      std::fprintf(stderr, "spheremask-mpi: error (%s) on rank %zu: %s\n", rep.failure->code.c_str(), r,
                   rep.failure->message.c_str());
    }
    enrolled += rep.enrolled;
    skipped += rep.skipped;
    records += rep.records;
    per_rank.push_back({{"rank", r}, {"shards", rep.shards}, {"enrolled", rep.enrolled}, {"skipped", rep.skipped},
                        {"records", rep.records}, {"seconds", rep.seconds}, {"device", rep.device}});
  }
  if (failed) throw JobFailed();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  cli::print_json({{"shards", manifest.shard_count}, {"ranks", job.size}, {"ids", ids.size()}, {"enrolled", enrolled},
                   {"skipped", skipped}, {"records", records}, {"seconds", seconds}, {"per_rank", per_rank}});
}

}  // namespace

void add_enroll_command(CLI::App& app, const Job& job) {
  auto* cmd = app.add_subcommand("enroll", "enroll templates into a sharded store, each rank filling the shards it owns");
  auto o = std::make_shared<Opts>();
  o->engine.add_to(*cmd);
  cmd->add_option("--templates", o->templates, "float32 .npy, rows = templates (every rank maps it)")->required();
  cmd->add_option("--ids", o->ids, "subject ids, one per line, line i naming template row i")->required();
  cmd->add_option("--shards", o->shards, "sharded store directory (created with its manifest if absent)")->required();
  cmd->add_option("--shards-count", o->shard_count,
                  "number of shards S when creating the store (default: the number of ranks; must be ≥ it)");
  cmd->add_option("--batch", o->batch, "templates per transaction")->capture_default_str();
  cmd->add_option("--insecure-seed", o->seed_hex,
                  "INSECURE: derive every secret from this 64-hex-digit seed (reproducible tests and benchmarks only)");
  cmd->add_option("--progress-interval", o->progress_s, "seconds between progress lines when stderr is not a terminal")
      ->capture_default_str();
  // A test hook, left out of --help: pause after each committed batch so that fault-injection tests can
  // kill a rank while it is enrolling.
  cmd->add_option("--batch-pause-ms", o->batch_pause_ms, "milliseconds to sleep after each committed batch")
      ->check(CLI::NonNegativeNumber)
      ->group("");
  cmd->callback([o, cmd, &job] { run(*o, cmd->get_option("--dtype")->count() > 0, job); });
}

}  // namespace spheremask::mpi
