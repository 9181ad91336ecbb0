// `spheremask-mpi verify`: 1:1 against the record of a claimed id, computed by the rank that owns the
// id's shard and printed by rank 0 (as `spheremask verify --store` prints it).
#include <cstdio>

#include "cli/cli_common.hpp"
#include "mpi/commands.hpp"
#include "tools/npy.hpp"
#include "shard/shard_layout.hpp"
#include "shard/shard_manifest.hpp"
#include "cli/store_common.hpp"
#include "cli/store_verify.hpp"

namespace spheremask::mpi {
namespace {

constexpr int kTagDecision = 201;

struct Opts {
  cli::EngineFlags engine;
  std::string shards, id, templates;
  size_t row = 0;
  bool json = false;
};

void run(const Opts& o, const Job& job) {
  cli::EngineFlags flags = o.engine;
  flags.threads = rank_threads(job, flags.threads);
  flags.device = rank_device(job);

  shard::ShardManifest manifest;
  uint32_t home = 0;
  agree(job, capture([&] {
    if (o.id.empty()) throw Error(ErrorCode::InvalidArgument, "--id is empty");
    manifest = shard::read_manifest(o.shards);
    home = shard::shard_of(o.id, manifest.shard_count);
    shard::owned_shards(uint32_t(job.rank), uint32_t(job.size), manifest.shard_count);  // K ≤ S
  }));
  const int owner = int(shard::owner_of(home, uint32_t(job.size)));

  // The owner decides; its answer (or its failure) goes to rank 0 point-to-point.
  Packer answer;
  if (job.rank == owner) {
    Decision d = Decision::Reject;
    const auto failure = capture([&] {
      const NpyMatrix y = NpyMatrix::open(o.templates);
      if (o.row >= y.rows())
        throw Error(ErrorCode::InvalidArgument, "--row " + std::to_string(o.row) + " but " + o.templates + " has " +
                                                    std::to_string(y.rows()) + " rows");
      const Store store = shard::open_shard(o.shards, manifest, home, StoreMode::ReadOnly);
      d = cli::verify_stored(flags, store, o.id, y.row(o.row), y.cols(), o.templates);
    });
    answer.u64(failure ? 1 : 0);
    if (failure) answer.str(failure->code).str(failure->message);
    else answer.u64(uint64_t(d));
    if (owner != 0) MPI_Send(answer.bytes.data(), int(answer.bytes.size()), MPI_BYTE, 0, kTagDecision, MPI_COMM_WORLD);
  }
  if (!job.root()) return;
  std::vector<uint8_t> bytes = answer.bytes;
  if (owner != 0) {
    MPI_Status st;
    MPI_Probe(owner, kTagDecision, MPI_COMM_WORLD, &st);
    int size = 0;
    MPI_Get_count(&st, MPI_BYTE, &size);
    bytes.resize(size_t(size));
    MPI_Recv(bytes.data(), size, MPI_BYTE, owner, kTagDecision, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  }
  Unpacker u(bytes);
  if (u.u64()) {
    const std::string code = u.str();
    const std::string message = u.str();
    std::fprintf(stderr, "spheremask-mpi: error (%s) on rank %d: %s\n", code.c_str(), owner, message.c_str());
    throw JobFailed();
  }
  const auto d = Decision(u.u64());
  if (o.json) return cli::print_json({{"id", o.id}, {"row", o.row}, {"decision", cli::decision_name(d)}});
  std::printf("%s\n", cli::decision_name(d));
}

}  // namespace

void add_verify_command(CLI::App& app, const Job& job) {
  auto* cmd = app.add_subcommand("verify", "1:1 against the record of a claimed id, on the rank that owns its shard");
  auto o = std::make_shared<Opts>();
  cmd->add_option("--shards", o->shards, "sharded store directory")->required();
  cmd->add_option("--id", o->id, "claimed subject id")->required();
  cmd->add_option("--templates", o->templates, "float32 .npy of probes")->required();
  cmd->add_option("--row", o->row, "probe row of --templates")->capture_default_str();
  cmd->add_option("--backend", o->engine.backend, "cpu, cuda or auto")->check(CLI::IsMember({"cpu", "cuda", "auto"}))->capture_default_str();
  cmd->add_option("--threads", o->engine.threads, "CPU threads (0 = the cores the launcher gives the rank)");
  cmd->add_option("--expander", o->engine.expander, "template expander weights (.smte) the records were made with");
  cmd->add_option("--app-key-file", o->engine.app_key_file, "application key the records were bound to");
  cmd->add_flag("--allow-weak", o->engine.allow_weak, "accept codes under 80 bits (testing only)");
  cmd->add_flag("--json", o->json, "machine-readable output");
  cmd->callback([o, &job] { run(*o, job); });
}

}  // namespace spheremask::mpi
