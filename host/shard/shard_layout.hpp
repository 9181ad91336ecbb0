// Where a record lives in a sharded store: a directory of S ordinary store files (shard-0000.sqlite …)
// and a manifest. Placement is a pure function of the id, so reruns and resumes of an enrollment
// write every id to the same shard whatever the number of processes.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spheremask::shard {

constexpr uint32_t kMaxShards = 65536;

// The first 8 bytes of SHA-256(id) read as a big-endian integer, modulo shard_count (1 … kMaxShards).
uint32_t shard_of(std::string_view id, uint32_t shard_count);

// "shard-0000.sqlite" (at least four digits) and DIR/that name.
std::string shard_file_name(uint32_t shard);
std::string shard_path(const std::string& dir, uint32_t shard);

// Shards owned by process `rank` of `ranks`: rank, rank + ranks, … < shard_count. Throws
// Error{InvalidArgument} unless 0 ≤ rank < ranks ≤ shard_count.
std::vector<uint32_t> owned_shards(uint32_t rank, uint32_t ranks, uint32_t shard_count);
// The process that owns a shard under the same rule.
uint32_t owner_of(uint32_t shard, uint32_t ranks);

}  // namespace spheremask::shard
