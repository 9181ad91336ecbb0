// `spheremask bench --op identify`: 1:N throughput against a synthetic in-memory gallery.
#pragma once
#include <nlohmann/json.hpp>

#include <cstddef>

#include "cli/cli_common.hpp"

namespace spheremask::cli {

// Enrolls `gallery` synthetic templates of dimension flags.n (deterministic, insecure: benchmark data),
// then times engine->identify of `probes` genuine probes (30°, probe i belongs to record i mod gallery)
// against the whole gallery, median of `repeats` after a one-probe warm-up. Reports
// per_second = probe×record comparisons/s, probes_per_second, and floor_seconds = gallery P bytes /
// memory bandwidth (one gallery pass). bandwidth_gbs <= 0: measured by a streaming read of the
// gallery on the CPU backend, DESIGN §5's figure for an H100/H200 on CUDA. resident: the records are
// loaded once with Engine::load_gallery and every timed call identifies against that Gallery.
nlohmann::json run_identify_bench(const EngineFlags& flags, size_t gallery, size_t probes, int repeats,
                                  double bandwidth_gbs = 0, bool resident = false);

}  // namespace spheremask::cli
