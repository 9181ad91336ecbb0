#include "cli/verify_record_dir.hpp"

#include <cctype>
#include <memory>
#include <span>

#include "cli/record_files.hpp"
#include "cli/unwarned_engine.hpp"
#include "spheremask/error.hpp"
#include "util/parallel.hpp"

namespace spheremask::cli {
namespace {

// Record bytes held at once: a batch closes at this size once it also has kRecordsPerThread records per
// thread (each verify_serialized call spreads its records over the threads).
constexpr size_t kBatchBytes = size_t(16) << 20;
constexpr size_t kRecordsPerThread = 4;

// verify_serialized names a record and a probe row by their index in the call ("record J: ...",
// "template row J ..."); one call per batch starting at file `start` makes that start + J, the index one call
// over the whole directory names.
Error renumbered(const Error& e, size_t start) {
  const std::string what = e.what();
  for (const std::string prefix : {"record ", "template row "}) {
    if (what.compare(0, prefix.size(), prefix) != 0) continue;
    size_t pos = prefix.size(), index = 0;
    while (pos < what.size() && std::isdigit(static_cast<unsigned char>(what[pos])))
      index = index * 10 + size_t(what[pos++] - '0');
    if (pos == prefix.size() || pos == what.size() || (what[pos] != ':' && what[pos] != ' ')) return e;
    return Error(e.code(), prefix + std::to_string(start + index) + what.substr(pos));
  }
  return e;
}

}  // namespace

void check_record_count(size_t probes, size_t records, const std::string& dir) {
  if (records != probes)
    throw Error(ErrorCode::InvalidArgument,
                std::to_string(probes) + " probes but " + std::to_string(records) + " records in " + dir);
  if (records == 0) throw Error(ErrorCode::InvalidArgument, "no records in " + dir);
}

std::vector<Decision> verify_record_dir_from_bytes(const EngineFlags& flags, const NpyMatrix& y, const std::string& dir) {
  const auto files = list_record_files(dir);
  const bool allow_weak = flags.allow_weak;
  // Parsing every file first, the parse path names a bad file before a wrong count; so does this one.
  if (files.size() != y.rows() || files.empty()) {
    throw_first_unparsable(files, 0, allow_weak);
    check_record_count(y.rows(), files.size(), dir);
  }
  EngineFlags configured = flags;  // the parse path takes n and α from record 0
  {
    const std::string bytes = read_record_file(files[0]);
    const Record first = parse_record_file(files[0], bytes_of(bytes), allow_weak);
    configured.n = first.n;
    configured.alpha = first.alpha;
  }
  std::unique_ptr<Engine> engine;
  try {
    engine = make_engine_unwarned(configured, uint32_t(y.cols()));
  } catch (const Error&) {
    throw_first_unparsable(files, 1, allow_weak);  // the parse path makes its engine once every file parsed
    throw;
  }
  const size_t min_records = kRecordsPerThread * size_t(internal::resolve_threads(flags.threads));

  std::vector<Decision> decisions;
  decisions.reserve(files.size());
  std::vector<std::string> batch;  // the bytes of files [start, start + batch.size())
  std::vector<std::span<const uint8_t>> blobs;
  size_t start = 0, batch_bytes = 0;
  // The first file of the unverified batch that does not parse, named by its path (the parse path reads
  // and parses every file before any other check).
  const auto throw_first_unparsable_in_batch = [&] {
    for (size_t i = 0; i < batch.size(); ++i) parse_record_file(files[start + i], bytes_of(batch[i]), allow_weak);
  };
  const auto verify_batch = [&] {
    blobs.clear();
    for (const auto& b : batch) blobs.push_back(bytes_of(b));
    std::vector<Decision> d;
    try {
      d = engine->verify_serialized(y.row(start), batch.size(), blobs, allow_weak);
    } catch (const Error& e) {
      throw_first_unparsable_in_batch();
      throw_first_unparsable(files, start + batch.size(), allow_weak);
      // Every file parsed: a record that does not fit the engine or a bad probe row, which the parse path
      // reports after making its engine (and printing its warning).
      warn_if_weak_code(engine->params().n, engine->params().alpha);
      throw renumbered(e, start);
    }
    decisions.insert(decisions.end(), d.begin(), d.end());
    start += batch.size();
    batch.clear();
    batch_bytes = 0;
  };
  for (size_t i = 0; i < files.size(); ++i) {
    try {
      batch.push_back(read_record_file(files[i]));
    } catch (const Error&) {
      throw_first_unparsable_in_batch();
      throw;
    }
    batch_bytes += batch.back().size();
    if (batch_bytes >= kBatchBytes && batch.size() >= min_records) verify_batch();
  }
  if (!batch.empty()) verify_batch();
  warn_if_weak_code(engine->params().n, engine->params().alpha);
  return decisions;
}

}  // namespace spheremask::cli
