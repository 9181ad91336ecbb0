// The order every backend returns identification hits in: by probe, then by record, so results do
// not depend on how the work was split across threads, tiles or streamed chunks.
#pragma once
#include <algorithm>
#include <vector>

#include "backend/backend_impl.hpp"

namespace spheremask::internal {

inline void sort_hits(std::vector<IdentifyHit>& hits) {
  std::sort(hits.begin(), hits.end(), [](const IdentifyHit& x, const IdentifyHit& y) {
    return x.probe != y.probe ? x.probe < y.probe : x.record < y.record;
  });
}

}  // namespace spheremask::internal
