#include "shard/shard_manifest.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>

#include "tools/npy.hpp"
#include "shard/shard_layout.hpp"
#include "util/hex.hpp"
#include "spheremask/error.hpp"

namespace spheremask::shard {
namespace {

constexpr const char* kFormat = "spheremask-sharded-store";
constexpr const char* kPlacement = "sha256-first8-be-mod";

std::string hex32(const std::array<uint8_t, 32>& bytes) { return internal::to_hex(bytes); }

std::array<uint8_t, 32> unhex32(const std::string& text, const std::string& field, const std::string& where) {
  std::array<uint8_t, 32> out{};
  if (!internal::from_hex(text, out, internal::HexDigits::LowerOnly))
    throw Error(ErrorCode::Store, where + ": field '" + field + "' is not 64 lowercase hex digits");
  return out;
}

}  // namespace

std::string ShardManifest::to_json() const {
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["version"] = version;
  j["shards"] = shard_count;
  j["placement"] = kPlacement;
  j["m"] = config.m;
  j["n"] = config.n;
  j["alpha"] = config.alpha;
  j["dtype"] = config.dtype == Dtype::F16 ? "f16" : "f32";
  j["expander_id"] = hex32(config.expander_id);
  j["app_id"] = hex32(config.app_id);
  return j.dump(2) + "\n";
}

ShardManifest ShardManifest::parse(const std::string& text, const std::string& where) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw Error(ErrorCode::Store, where + ": not a JSON object");
  auto field = [&](const char* name) -> const nlohmann::json& {
    if (!j.contains(name)) throw Error(ErrorCode::Store, where + ": field '" + name + "' is missing");
    return j.at(name);
  };
  auto text_field = [&](const char* name) {
    const auto& v = field(name);
    if (!v.is_string()) throw Error(ErrorCode::Store, where + ": field '" + name + "' is not a string");
    return v.get<std::string>();
  };
  auto count_field = [&](const char* name, uint64_t lo, uint64_t hi) {
    const auto& v = field(name);
    if (!v.is_number_unsigned() || v.get<uint64_t>() < lo || v.get<uint64_t>() > hi)
      throw Error(ErrorCode::Store, where + ": field '" + name + "' is not an integer in " + std::to_string(lo) + " … " +
                                        std::to_string(hi));
    return uint32_t(v.get<uint64_t>());
  };
  if (text_field("format") != kFormat) throw Error(ErrorCode::Store, where + ": field 'format' is not " + kFormat);
  ShardManifest m;
  m.version = count_field("version", 1, 1000000);
  if (m.version != kVersion)
    throw Error(ErrorCode::Store, where + ": field 'version' is " + std::to_string(m.version) + "; this build reads " +
                                      std::to_string(kVersion));
  if (text_field("placement") != kPlacement)
    throw Error(ErrorCode::Store, where + ": field 'placement' is not " + kPlacement);
  m.shard_count = count_field("shards", 1, kMaxShards);
  m.config.m = count_field("m", 1, 1u << 20);
  m.config.n = count_field("n", 2, 16384);
  m.config.alpha = count_field("alpha", 1, 64);
  const std::string dtype = text_field("dtype");
  if (dtype != "f32" && dtype != "f16") throw Error(ErrorCode::Store, where + ": field 'dtype' is not f32 or f16");
  m.config.dtype = dtype == "f16" ? Dtype::F16 : Dtype::F32;
  m.config.expander_id = unhex32(text_field("expander_id"), "expander_id", where);
  m.config.app_id = unhex32(text_field("app_id"), "app_id", where);
  return m;
}

std::string manifest_path(const std::string& dir) { return dir + "/manifest.json"; }

ShardManifest read_manifest(const std::string& dir) {
  const std::string path = manifest_path(dir);
  if (!std::filesystem::is_regular_file(path))
    throw Error(ErrorCode::Store, path + " does not exist: " + dir + " is not a sharded store (enroll creates it)");
  return ShardManifest::parse(read_file(path), path);
}

void write_manifest(const std::string& dir, const ShardManifest& manifest) {
  std::filesystem::create_directories(dir);
  const std::string text = manifest.to_json();
  write_file_atomic(manifest_path(dir), text.data(), text.size());
}

void require_config(const ShardManifest& manifest, const RecordConfig& config, const std::string& what) {
  if (manifest.config == config) return;
  throw Error(ErrorCode::Mismatch, what + " has " + config.describe() + " but the sharded store holds " +
                                       manifest.config.describe());
}

Store open_shard(const std::string& dir, const ShardManifest& manifest, uint32_t shard, StoreMode mode) {
  if (shard >= manifest.shard_count)
    throw Error(ErrorCode::InvalidArgument, "shard " + std::to_string(shard) + " of a store with " +
                                                std::to_string(manifest.shard_count) + " shards");
  const std::string path = shard_path(dir, shard);
  if (mode != StoreMode::Create && !std::filesystem::is_regular_file(path))
    throw Error(ErrorCode::Store, path + " is missing (the manifest lists " + std::to_string(manifest.shard_count) +
                                      " shards)");
  std::vector<std::pair<RecordConfig, size_t>> configurations;
  std::optional<Store> store;
  try {
    store.emplace(Store::open(path, mode));
    configurations = store->configurations();
  } catch (const Error& e) {
    // SQLite's message alone ("file is not a database") does not say which of S files is at fault.
    const std::string what = e.what();
    throw Error(e.code(), what.find(path) == std::string::npos ? path + ": " + what : what);
  }
  for (const auto& [config, count] : configurations)
    require_config(manifest, config, path + " (" + std::to_string(count) + " records)");
  return std::move(*store);
}

void require_placement(const std::vector<std::string>& ids, uint32_t shard, const ShardManifest& manifest,
                       const std::string& path) {
  for (const auto& id : ids) {
    const uint32_t home = shard_of(id, manifest.shard_count);
    if (home != shard)
      throw Error(ErrorCode::Store, path + ": id '" + id + "' belongs in shard " + std::to_string(home) + ", not " +
                                        std::to_string(shard) + " (a shard file renamed or copied from elsewhere?)");
  }
}

}  // namespace spheremask::shard
