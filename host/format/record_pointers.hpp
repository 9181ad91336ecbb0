// Probe i → *records[i]: the form Engine::verify_common takes, so one record can serve several probes
// (the frames of a multi-frame probe) without copying its P.
#pragma once
#include <span>
#include <vector>

#include "spheremask/record.hpp"

namespace spheremask::internal {

inline std::vector<const Record*> record_pointers(std::span<const Record> records) {
  std::vector<const Record*> out(records.size());
  for (size_t i = 0; i < records.size(); ++i) out[i] = &records[i];
  return out;
}

}  // namespace spheremask::internal
