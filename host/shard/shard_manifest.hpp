// The manifest of a sharded store (DIR/manifest.json): shard count, placement rule and the one record
// configuration every shard holds. Written once by the first enrollment; every later command checks
// its own parameters and every shard it opens against it, so a foreign or misplaced shard is refused
// before any work.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "spheremask/store.hpp"

namespace spheremask::shard {

struct ShardManifest {
  static constexpr uint32_t kVersion = 1;
  uint32_t version = kVersion;
  uint32_t shard_count = 0;
  RecordConfig config;

  std::string to_json() const;
  // Throws Error{Store} naming `where` and the missing or malformed field.
  static ShardManifest parse(const std::string& text, const std::string& where);
};

std::string manifest_path(const std::string& dir);  // DIR/manifest.json
// Throws Error{Store} when DIR has no manifest or it is malformed.
ShardManifest read_manifest(const std::string& dir);
// Creates DIR when needed; the file is replaced atomically.
void write_manifest(const std::string& dir, const ShardManifest& manifest);

// Throws Error{Mismatch} naming `what` and both configurations when they differ.
void require_config(const ShardManifest& manifest, const RecordConfig& config, const std::string& what);

// Opens one shard and checks that it belongs to this sharded store: the file exists (unless mode is
// Create) and every record configuration in it is the manifest's. Throws Error{Store} (missing,
// unreadable, not a store) or Error{Mismatch} (foreign records) naming the shard file.
Store open_shard(const std::string& dir, const ShardManifest& manifest, uint32_t shard, StoreMode mode);

// Throws Error{Store} naming the first id of `ids` that does not belong in `shard` (a renamed or
// copied shard file would otherwise be scanned silently).
void require_placement(const std::vector<std::string>& ids, uint32_t shard, const ShardManifest& manifest,
                       const std::string& path);

}  // namespace spheremask::shard
