// `spheremask attack dictionary`: the false-accept attack (DESIGN §3 "Attacks"): real face templates tried
// against every record (1:N identify). Its success per attempt is the FAR on real impostors, a floor no
// template protection raises; it is printed next to the code bits.
#include <cmath>
#include <cstdio>
#include <fstream>

#include "cli/attack_records.hpp"
#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "tools/npy.hpp"
#include "cli/progress.hpp"
#include "spheremask/error.hpp"
#include "spheremask/store.hpp"
#include "cli/store_common.hpp"

namespace spheremask::cli {
namespace {

std::vector<std::string> read_labels(const std::string& path, size_t rows) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorCode::Io, "cannot read the labels file " + path);
  std::vector<std::string> labels;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  if (labels.size() != rows)
    throw Error(ErrorCode::InvalidArgument, path + " has " + std::to_string(labels.size()) + " labels but the dictionary has " +
                                                std::to_string(rows) + " rows");
  return labels;
}

}  // namespace

void add_attack_dictionary_command(CLI::App& attack) {
  auto* cmd = attack.add_subcommand("dictionary", "false-accept attack: real face templates tried against every record");
  struct Opts {
    EngineFlags engine;
    std::string records, store, templates, labels;
    size_t batch = 1024;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--records", o->records, "directory of .smhd records");
  cmd->add_option("--store", o->store, "SQLite store of records (ids are the owners)")->excludes("--records");
  cmd->add_option("--templates", o->templates, "float32 .npy dictionary of real face templates")->required();
  cmd->add_option("--labels", o->labels, "identity of each dictionary row; with --store, rows labelled as a record's id are not tried against it");
  cmd->add_option("--expander", o->engine.expander, "the expander (.smte) the records were made with");
  cmd->add_option("--app-key-file", o->engine.app_key_file, "application key of the records, if the attacker holds it");
  cmd->add_option("--backend", o->engine.backend, "cpu, cuda or auto")->check(CLI::IsMember({"cpu", "cuda", "auto"}))->capture_default_str();
  cmd->add_option("--threads", o->engine.threads, "CPU threads (0 = all cores)");
  cmd->add_option("--batch", o->batch, "dictionary rows per identify call")->capture_default_str();
  cmd->add_flag("--allow-weak", o->engine.allow_weak, "accept codes under 80 bits (testing only)");
  cmd->add_flag("--json", o->json, "machine-readable output");
  cmd->callback([o] {
    const NpyMatrix dict = NpyMatrix::open(o->templates);
    const NamedRecords in = load_attack_records(o->records, o->store, o->engine.allow_weak);
    const RecordConfig config = RecordConfig::of(in.records[0]);
    for (size_t i = 1; i < in.records.size(); ++i)
      if (!(RecordConfig::of(in.records[i]) == config))
        throw Error(ErrorCode::Mismatch, in.names[i] + " has " + RecordConfig::of(in.records[i]).describe() + ", " +
                                             in.names[0] + " has " + config.describe() + ": one configuration at a time");
    if (dict.cols() != config.m)
      throw Error(ErrorCode::Mismatch, o->templates + " has templates of dimension " + std::to_string(dict.cols()) +
                                           " but the records expect m=" + std::to_string(config.m));
    if (dict.rows() == 0) throw Error(ErrorCode::InvalidArgument, o->templates + " holds no templates");
    std::vector<std::string> labels;
    if (!o->labels.empty()) labels = read_labels(o->labels, dict.rows());
    // Owner ids exist only for store records; a directory's file names say nothing about whose face it is.
    const bool exclude_owner = !labels.empty() && in.from_store;
    auto engine = engine_for(config, o->engine);

    const size_t n_records = in.records.size(), rows = dict.rows();
    std::vector<uint8_t> opened(n_records, 0);
    size_t accepts = 0, excluded = 0;
    Progress progress("attack dictionary", rows);
    const size_t batch = std::max<size_t>(o->batch, 1);
    for (size_t start = 0; start < rows; start += batch) {
      const size_t count = std::min(batch, rows - start);
      const auto hits = engine->identify(dict.row(start), count, in.records);
      for (size_t p = 0; p < count; ++p)
        for (uint32_t r : hits[p]) {
          if (exclude_owner && labels[start + p] == in.names[r]) continue;
          ++accepts;
          opened[r] = 1;
        }
      progress.update(start + count);
    }
    progress.finish();
    if (exclude_owner)
      for (size_t p = 0; p < rows; ++p)
        for (size_t r = 0; r < n_records; ++r) excluded += labels[p] == in.names[r];
    const double attempts = double(rows) * double(n_records) - double(excluded);
    size_t n_opened = 0;
    for (uint8_t v : opened) n_opened += v;
    const double rate = attempts > 0 ? double(accepts) / attempts : 0;
    // With no success the rate is only bounded: below 1/attempts, so at least log2(attempts) bits.
    const double bits = accepts > 0 ? -std::log2(rate) : std::log2(std::max(attempts, 1.0));
    const double cbits = code_bits(config.n, config.alpha);
    const char* counted = exclude_owner ? "pairs whose dictionary label equals the record's store id are not counted"
                          : labels.empty() ? "every dictionary row against every record (no labels)"
                                           : "every dictionary row against every record (directory records carry no owner ids, so --labels cannot exclude genuine pairs)";
    if (o->json)
      return print_json({{"records", n_records},
                         {"dictionary", rows},
                         {"attempts", attempts},
                         {"accepts", accepts},
                         {"opened", n_opened},
                         {"opened_share", double(n_opened) / double(n_records)},
                         {"per_attempt_rate", rate},
                         {"per_attempt_bits", bits},
                         {"per_attempt_bits_is_lower_bound", accepts == 0},
                         {"code_bits", cbits},
                         {"counted", counted}});
    std::printf("%zu of %zu records opened by a dictionary of %zu real templates (%.0f attempts, %zu accepted)\n", n_opened,
                n_records, rows, attempts, accepts);
    std::printf("per-attempt success %.3g = %s%.1f bits, next to %.1f code bits of C(%u, %u)\n", rate,
                accepts == 0 ? ">= " : "", bits, cbits, config.n, config.alpha);
    std::printf("counted: %s\n", counted);
  });
}

}  // namespace spheremask::cli
