// Embedded record store: helper-data records keyed by subject id in one SQLite file (WAL mode), with
// the metadata needed to pick a gallery (parameters, expander id, application id). Every write is one
// transaction, so a crash at any moment leaves every committed record intact and no partial one.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spheremask/export.hpp"
#include "spheremask/params.hpp"
#include "spheremask/record.hpp"

namespace spheremask {

// What makes records comparable in one gallery: the same parameters, P dtype, expander and application.
struct SPHEREMASK_API RecordConfig {
  uint32_t m = 0;
  uint32_t n = 0;
  uint32_t alpha = 0;
  Dtype dtype = Dtype::F32;
  std::array<uint8_t, 32> expander_id{};
  std::array<uint8_t, 32> app_id{};

  static RecordConfig of(const Record& r);
  bool operator==(const RecordConfig&) const = default;
  std::string describe() const;  // "m=512 n=512 alpha=16 dtype=f32 expander=none app=none"
};

// A slice of one gallery: ids[i] owns records[i].
struct GalleryChunk {
  std::vector<std::string> ids;
  std::vector<Record> records;
};

// A row whose record fails validation (corruption), reported by Store::check.
struct StoreProblem {
  std::string id;
  std::string message;
};

enum class StoreMode { ReadOnly, ReadWrite, Create };  // Create = read-write, creating the file if needed

class SPHEREMASK_API Store {
 public:
  // Opens (or creates) the store at path. Throws Error{Store} when the file is not a spheremask store,
  // is of a newer schema, or SQLite fails (the message carries sqlite3_errmsg).
  static Store open(const std::string& path, StoreMode mode = StoreMode::Create);
  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  const std::string& path() const;
  size_t count() const;
  bool contains(std::string_view id) const;
  // Inserts ids[i] -> records[i] in ONE transaction: all are committed or none. Without replace an id
  // already present is an error (and nothing of the batch is written); with replace it is overwritten.
  void put(std::span<const std::string> ids, std::span<const Record> records, bool replace = false);
  // Replaces id's record with `replacement` in one transaction, only while the row still holds exactly
  // the bytes of `current` and the replacement keeps the row's configuration; returns false, writing
  // nothing, when the row changed or is gone. For rewriting a v1 record as v2 right after a genuine
  // verification (Engine::verify_and_upgrade); a crash leaves either the old or the new record.
  bool replace_if_unchanged(std::string_view id, const Record& current, const Record& replacement);
  // Parses the stored record (validating its checksum and every field). Throws Error{Store} when the
  // id is absent and Error{InvalidRecord} naming the id when the row is corrupted.
  Record get(std::string_view id, bool allow_weak = false) const;
  // Every id, ascending.
  std::vector<std::string> ids() const;
  // The distinct configurations present, each with its record count.
  std::vector<std::pair<RecordConfig, size_t>> configurations() const;
  // Every record of one configuration, ascending by id, in chunks of at most max_chunk_bytes of
  // serialized records (at least one record per chunk). fn returning false stops the scan.
  void scan_gallery(const RecordConfig& config, size_t max_chunk_bytes, bool allow_weak,
                    const std::function<bool(GalleryChunk&)>& fn) const;
  // The whole gallery of one configuration in memory.
  GalleryChunk load_gallery(const RecordConfig& config, bool allow_weak = false) const;
  // Parses every row; returns the ids that fail (empty when the store is sound).
  std::vector<StoreProblem> check(bool allow_weak = false) const;

  struct Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace spheremask
