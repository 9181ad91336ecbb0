// The "attacks" section of `spheremask security`: next to the code bits, the cap bound and, when an
// expander is given, `attack invert` measured on freshly enrolled key-less records, so no bit count is
// shown without the attacks that beat it.
#pragma once
#include <nlohmann/json.hpp>

#include <cstddef>
#include <memory>

#include "tools/security_estimate.hpp"
#include "spheremask/expander.hpp"

namespace spheremask::cli {

struct AttackOptions {
  size_t records = 8;           // fresh records attacked per configuration; 0 = do not measure
  bool assume_app_key = false;  // the deployment binds every record to a secret application key
  int threads = 0;
};

nlohmann::json attacks_section(const security::Estimate& est, const std::shared_ptr<const Expander>& e,
                               const AttackOptions& o);
// True when the section records a successful `attack invert` that an application key does not stop.
bool broken_by_invert(const nlohmann::json& attacks);
void print_attacks(const nlohmann::json& attacks);

}  // namespace spheremask::cli
