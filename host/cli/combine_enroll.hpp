// Multi-sample enrollment in `spheremask enroll`: --combine mean makes the rows that share an id one
// record (their normalized mean), --outlier-deg drops samples far from the rest of their id.
#pragma once
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli_common.hpp"
#include "tools/npy.hpp"
#include "spheremask/multi_sample.hpp"
#include "cli/store_ids.hpp"

namespace spheremask::cli {

struct CombineFlags {
  std::string combine;  // "" = one record per row (repeated ids are an error), "mean" = one per id
  double outlier_deg = std::numeric_limits<double>::quiet_NaN();  // NaN = not given: no outlier rejection
  bool json = false;       // summary on stdout as JSON
  bool enabled() const { return !combine.empty(); }
  CombineOptions options() const;
};

// Registers --combine, --outlier-deg and --json on the enroll subcommand.
std::shared_ptr<CombineFlags> add_combine_options(CLI::App& cmd);

// The groups' rows of x gathered contiguously (groups [begin, end) of g), with their sizes.
void gather_groups(const NpyMatrix& x, const IdGroups& g, size_t begin, size_t end, std::vector<float>& rows,
                   std::vector<uint32_t>& sizes);

// Checks every row and group of x before anything is written (the error names the row or id) and
// returns the rows outlier rejection drops, per group.
std::vector<std::vector<size_t>> check_groups(const NpyMatrix& x, const IdGroups& g, const CombineOptions& options);

// Reports the dropped samples of the groups in `which` (ids and row numbers only, never template
// values): one line on stderr; returns the JSON list [{"id", "rows"}].
nlohmann::json report_dropped(const IdGroups& g, const std::vector<std::vector<size_t>>& dropped,
                              const std::vector<size_t>& which);

}  // namespace spheremask::cli
