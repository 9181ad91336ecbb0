// Runs the structural inversion over many records of one configuration and asks the engine whether
// it accepts each recovered template (which releases the enrolled key, a function of the codeword).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "attack/invert.hpp"
#include "spheremask/engine.hpp"

namespace spheremask::attack {

struct InvertRunOptions {
  std::shared_ptr<const Expander> expander;              // the public expander; null for plain records
  std::optional<std::array<uint8_t, 32>> app_key;        // the key the attacker holds, if any
  InvertOptions invert;
  int threads = 0;                                       // records attacked in parallel; 0 = all cores
  uint64_t model_seed = 1;                               // seeded, public inputs of the expander fit
  std::function<void(size_t done)> progress;             // called after each record (any thread, serialized)
};

// "none": the record is not bound to an application; "known": bound, and the attacker holds the key;
// "unknown": bound to a key the attacker does not hold (then P alone is attacked).
struct InvertVerdict {
  bool found = false;      // the codeword was recovered (verifier matched)
  bool inverted = false;   // the engine accepts t* against the record and releases its key
  std::string method, note, app_binding;
  double seconds = 0;
  size_t candidates = 0;
};

struct InvertReport {
  double model_seconds = 0;     // fitting the expander model (once)
  double outside_energy = 0;    // output energy outside the best (m+1)-dim subspace; 0 without expander
  double affine_residual = 0;
  std::vector<InvertVerdict> verdicts;
};

// All records must share one configuration (m, n, α, dtype, expander, application); throws
// Error{Mismatch} naming the first record that differs, or the expander that does not match.
InvertReport invert_records(std::span<const Record> records, const InvertRunOptions& o);

struct InvertMeasurement {
  size_t records = 0, found = 0, inverted = 0;
  double median_seconds = 0, model_seconds = 0, outside_energy = 0;
};

// Enrolls `count` seeded random unit templates with the expander (deterministic insecure seed: these are
// throw-away records), bound to `enroll_key` when one is given, and attacks them holding `attacker_key` (none:
// what a thief of the records and the public expander has; the enrolment key: the control run). Key-less
// records attacked without a key are the number `security` prints. For records bound to a key the attacker
// lacks, the engine cannot confirm t*, so `found` (the codeword recovered) is what counts as a break.
using AppKey = std::array<uint8_t, 32>;
InvertMeasurement measure_invert(std::shared_ptr<const Expander> expander, uint32_t alpha, size_t count,
                                 uint64_t seed = 1, int threads = 0, const std::optional<AppKey>& enroll_key = std::nullopt,
                                 const std::optional<AppKey>& attacker_key = std::nullopt);

}  // namespace spheremask::attack
