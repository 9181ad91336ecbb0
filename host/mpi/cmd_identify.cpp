// `spheremask-mpi identify`: each rank loads the shards it owns as one resident gallery (its GPU, or
// its CPU threads), rank 0 broadcasts the probes, every rank matches them against its gallery, and
// rank 0 merges the match lists and prints exactly what `spheremask identify` prints for the union of
// the shards, plus per-rank timing.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "cli/cli_common.hpp"
#include "mpi/commands.hpp"
#include "tools/npy.hpp"
#include "shard/shard_layout.hpp"
#include "shard/shard_manifest.hpp"
#include "cli/store_common.hpp"

namespace spheremask::mpi {
namespace {

struct Opts {
  cli::EngineFlags engine;
  std::string shards, probes;
  bool json = false;
};

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void run(const Opts& o, const Job& job) {
  cli::EngineFlags flags = o.engine;
  flags.threads = rank_threads(job, flags.threads);
  flags.device = rank_device(job);

  // 1. Everything that can fail on bad input, locally: manifest, probes (rank 0), this rank's shards.
  const auto load_start = std::chrono::steady_clock::now();
  shard::ShardManifest manifest;
  std::optional<NpyMatrix> probes;
  std::vector<uint32_t> owned;
  std::vector<std::string> ids;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Gallery> gallery;
  agree(job, capture([&] {
    manifest = shard::read_manifest(o.shards);
    if (job.root()) {
      probes.emplace(NpyMatrix::open(o.probes));
      if (probes->rows() == 0) throw Error(ErrorCode::InvalidArgument, o.probes + " has no probe rows");
      if (probes->cols() != manifest.config.m)
        throw Error(ErrorCode::Mismatch, o.probes + " has dimension " + std::to_string(probes->cols()) + " but " +
                                             o.shards + " holds records for templates of dimension " +
                                             std::to_string(manifest.config.m));
    }
    owned = shard::owned_shards(uint32_t(job.rank), uint32_t(job.size), manifest.shard_count);
    std::vector<Record> records;
    for (uint32_t s : owned) {
      const Store store = shard::open_shard(o.shards, manifest, s, StoreMode::ReadOnly);
      GalleryChunk chunk = store.load_gallery(manifest.config, flags.allow_weak);
      shard::require_placement(chunk.ids, s, manifest, store.path());
      for (auto& id : chunk.ids) ids.push_back(std::move(id));
      for (auto& r : chunk.records) records.push_back(std::move(r));
    }
    engine = cli::engine_for(manifest.config, flags);
    if (!records.empty()) gallery = engine->load_gallery(std::move(records));
  }));
  const double load_s = since(load_start);
  uint64_t mine = ids.size(), total = 0;
  MPI_Allreduce(&mine, &total, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  if (total == 0) {
    if (job.root())
      std::fprintf(stderr, "spheremask-mpi: error (%s): %s holds no records\n", error_code_name(ErrorCode::Mismatch),
                   o.shards.c_str());
    throw JobFailed();
  }

  // 2. Probes to every rank (row count, then the rows).
  uint64_t shape[2] = {0, 0};
  if (job.root()) {
    shape[0] = probes->rows();
    shape[1] = probes->cols();
  }
  MPI_Bcast(shape, 2, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  std::vector<uint8_t> probe_bytes;
  if (job.root()) {
    const auto* p = reinterpret_cast<const uint8_t*>(probes->data());
    probe_bytes.assign(p, p + shape[0] * shape[1] * sizeof(float));
  }
  broadcast(probe_bytes);
  std::vector<float> y(shape[0] * shape[1]);
  std::memcpy(y.data(), probe_bytes.data(), probe_bytes.size());
  secure_zero(probe_bytes.data(), probe_bytes.size());

  // 3. Local matches, as (probe, id) pairs, and this rank's timing, to rank 0.
  const auto identify_start = std::chrono::steady_clock::now();
  std::vector<std::vector<uint32_t>> hits(shape[0]);
  if (gallery) hits = engine->identify(y.data(), shape[0], *gallery);
  secure_zero(y.data(), y.size() * sizeof(float));
  const double identify_s = since(identify_start);
  Packer out;
  out.f64(load_s).f64(identify_s).u64(ids.size()).u64(uint64_t(flags.threads)).str(engine->device_name());
  out.u64(owned.size());
  for (uint32_t s : owned) out.u64(s);
  uint64_t pairs = 0;
  for (const auto& h : hits) pairs += h.size();
  out.u64(pairs);
  for (size_t p = 0; p < hits.size(); ++p)
    for (uint32_t r : hits[p]) out.u64(p).str(ids[r]);
  const auto all = gather(job, out.bytes);
  if (!job.root()) return;

  // 4. Merge, in the single-process output format.
  std::vector<std::vector<std::string>> matches(shape[0]);
  nlohmann::json ranks = nlohmann::json::array();
  for (size_t r = 0; r < all.size(); ++r) {
    Unpacker u(all[r]);
    const double rl = u.f64(), ri = u.f64();
    const uint64_t records = u.u64(), threads = u.u64();
    const std::string device = u.str();
    std::vector<uint64_t> shards(u.u64());
    for (auto& s : shards) s = u.u64();
    for (uint64_t k = u.u64(); k > 0; --k) {
      const uint64_t p = u.u64();
      matches.at(p).push_back(u.str());
    }
    ranks.push_back({{"rank", r}, {"shards", shards}, {"records", records}, {"threads", threads}, {"device", device},
                     {"load_s", rl}, {"identify_s", ri}});
  }
  for (auto& m : matches) std::sort(m.begin(), m.end());
  if (o.json) {
    nlohmann::json list = nlohmann::json::array();
    for (size_t p = 0; p < matches.size(); ++p) list.push_back({{"probe", p}, {"ids", matches[p]}});
    return cli::print_json({{"probes", shape[0]}, {"matches", list}, {"ranks", ranks}});
  }
  for (size_t p = 0; p < matches.size(); ++p) {
    std::printf("probe %zu:", p);
    if (matches[p].empty()) std::printf(" no match");
    for (const auto& id : matches[p]) std::printf(" %s", id.c_str());
    std::printf("\n");
  }
  for (const auto& r : ranks)
    std::fprintf(stderr, "rank %d: %llu records on %s, load %.3f s, identify %.3f s\n", r["rank"].get<int>(),
                 (unsigned long long)r["records"].get<uint64_t>(), r["device"].get<std::string>().c_str(),
                 r["load_s"].get<double>(), r["identify_s"].get<double>());
}

}  // namespace

void add_identify_command(CLI::App& app, const Job& job) {
  auto* cmd = app.add_subcommand("identify", "1:N over a sharded store: each rank scans the shards it owns");
  auto o = std::make_shared<Opts>();
  cmd->add_option("--shards", o->shards, "sharded store directory")->required();
  cmd->add_option("--probes", o->probes, "float32 .npy, one probe template per row (read by rank 0)")->required();
  cmd->add_option("--backend", o->engine.backend, "cpu, cuda or auto")->check(CLI::IsMember({"cpu", "cuda", "auto"}))->capture_default_str();
  cmd->add_option("--threads", o->engine.threads, "CPU threads per rank (0 = the cores the launcher gives the rank)");
  cmd->add_option("--expander", o->engine.expander, "template expander weights (.smte) the records were made with");
  cmd->add_option("--app-key-file", o->engine.app_key_file, "application key the records were bound to");
  cmd->add_flag("--allow-weak", o->engine.allow_weak, "accept codes under 80 bits (testing only)");
  cmd->add_flag("--json", o->json, "machine-readable output (the JSON of `spheremask identify` plus \"ranks\")");
  cmd->callback([o, &job] { run(*o, job); });
}

}  // namespace spheremask::mpi
