#include "shard/shard_layout.hpp"

#include <cstdio>

#include "crypto/crypto.hpp"
#include "spheremask/error.hpp"

namespace spheremask::shard {

uint32_t shard_of(std::string_view id, uint32_t shard_count) {
  if (shard_count == 0 || shard_count > kMaxShards)
    throw Error(ErrorCode::InvalidArgument, "shard count " + std::to_string(shard_count) + " is outside 1 … " +
                                                std::to_string(kMaxShards));
  const auto digest = crypto::sha256({reinterpret_cast<const uint8_t*>(id.data()), id.size()});
  uint64_t prefix = 0;
  for (size_t i = 0; i < 8; ++i) prefix = (prefix << 8) | digest[i];
  return uint32_t(prefix % shard_count);
}

std::string shard_file_name(uint32_t shard) {
  char name[32];
  std::snprintf(name, sizeof name, "shard-%04u.sqlite", unsigned(shard));
  return name;
}

std::string shard_path(const std::string& dir, uint32_t shard) { return dir + "/" + shard_file_name(shard); }

std::vector<uint32_t> owned_shards(uint32_t rank, uint32_t ranks, uint32_t shard_count) {
  if (ranks == 0 || rank >= ranks)
    throw Error(ErrorCode::InvalidArgument, "rank " + std::to_string(rank) + " of " + std::to_string(ranks) + " processes");
  if (ranks > shard_count)
    throw Error(ErrorCode::InvalidArgument, std::to_string(ranks) + " processes but only " + std::to_string(shard_count) +
                                                " shards: every process needs at least one shard (use fewer processes)");
  std::vector<uint32_t> out;
  for (uint32_t s = rank; s < shard_count; s += ranks) out.push_back(s);
  return out;
}

uint32_t owner_of(uint32_t shard, uint32_t ranks) {
  if (ranks == 0) throw Error(ErrorCode::InvalidArgument, "zero processes");
  return shard % ranks;
}

}  // namespace spheremask::shard
