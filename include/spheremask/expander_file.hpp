// Loading template expanders from SMTE v1 weights files (DESIGN §3, issue 4).
#pragma once
#include <memory>
#include <string>

#include "spheremask/expander.hpp"
#include "spheremask/export.hpp"

namespace spheremask {

// Reads and validates an SMTE file; throws Error{InvalidRecord | Io} naming what is wrong.
SPHEREMASK_API std::shared_ptr<const Expander> load_expander(const std::string& path);

}  // namespace spheremask
