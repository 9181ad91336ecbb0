// Shared by `eval` (single configuration and --sweep) and `security --recommend --target-far`: the protocol options,
// engines for sweep configurations and the JSON of one evaluated configuration.
#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "cli/cli_common.hpp"
#include "tools/npy.hpp"
#include "eval/sweep_config.hpp"

namespace spheremask::cli {

// --enroll-samples, --probe-frames, --reserve, --outlier-deg, --impostors, --seed, --max-per-identity.
struct ProtocolFlags {
  eval::Protocol protocol;
  CLI::Option *enroll = nullptr, *frames = nullptr, *reserve = nullptr, *outlier = nullptr, *impostors = nullptr;
  // seed_flag: the name of the draws' seed option (a command may already own --seed).
  void add_to(CLI::App& cmd, const std::string& seed_flag = "--seed");
  // The protocol as given: the samples protocol when any of its four options was given.
  eval::Protocol resolve() const;
};

// The command line's values as the base of sweep configurations.
eval::SweepConfig base_config(const EngineFlags& flags, const eval::Protocol& protocol);
// The command line's engine flags with a configuration's n, alpha, expander and application key.
EngineFlags flags_for(const EngineFlags& base, const eval::SweepConfig& c);

// The eval JSON: tar, far, their intervals, counts, the unprotected matcher at the same FAR and its curve, the protocol
// and the configuration.
nlohmann::json eval_json(const eval::ProtocolResult& r, const Engine& engine, const EngineFlags& flags,
                         const eval::Protocol& protocol, const std::string& mode);

// The FAR's intervals over people (eval/far_interval.hpp) and the upper bound a claim quotes: far_ci_identity
// (one-way identity bootstrap), far_ci_crossed (crossed), far_ci_units and far_units (distinct pairs of people, the
// accepted ones, the effective count), far_upper, far_ci_level.
nlohmann::json far_bounds_json(const eval::ProtocolResult& r);

struct LabelledTemplates {
  NpyMatrix x;
  std::vector<std::string> labels;
};
// Reads the .npy and the labels; Error{InvalidArgument} when their counts differ.
LabelledTemplates read_labelled(const std::string& npy, const std::string& labels);

}  // namespace spheremask::cli
