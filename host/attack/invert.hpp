// Structural inversion of a helper-data record (DESIGN §3, "Attacks"): find the record's codeword c
// from public data only — P, salt, verifier, the public expander and, in the control run, an
// application key the attacker was given — then pull Pᵀc back to a template t* through the expander's
// affine model (plus Gauss–Newton steps through the expander when needed).
// The oracle is the record's own public verifier: a candidate codeword is right iff
// SHA-256("spheremask/v1/verifier" ‖ salt ‖ enc(c)) equals the stored verifier.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "attack/te_model.hpp"
#include "spheremask/detail/codeword.hpp"
#include "spheremask/expander.hpp"
#include "spheremask/record.hpp"

namespace spheremask::attack {

enum class Method { Greedy, L1, All };
// "greedy" | "l1" | "all"; throws Error{InvalidArgument} otherwise.
Method parse_method(std::string_view name);

struct InvertOptions {
  Method method = Method::All;
  bool mean_leak = true;         // try decode(P·E[TE(t)]) first (no search)
  int polish_iterations = 10;    // alternating projection: c <- decode(Π c)
  int l1_iterations = 40;        // iterations of the L1 (soft-threshold) alternating directions
  size_t l1_starts = 256;        // coordinate starts of the L1 method (the greedy one starts from every coordinate)
  int gauss_newton_steps = 3;    // through the expander (attack/pull_back.hpp), only while t* is not accepted
};

// Wipes the recovered codeword and template on destruction: they are as secret as the enrolled ones.
struct InvertOutcome {
  bool found = false;        // a candidate matched the record's verifier
  bool template_ok = false;  // decode(P·S·TE(t*)) == c, checked by the attacker with public data
  std::string method;        // "row-norms", "mean-leak", "greedy", "l1" or "none"
  std::string note;          // why the search could not apply, if so
  size_t candidates = 0;     // codewords checked against the verifier
  double seconds = 0;
  detail::Codeword codeword{};
  std::vector<float> template_star;  // m, unit; empty unless found

  InvertOutcome() = default;
  InvertOutcome(InvertOutcome&&) = default;
  InvertOutcome& operator=(InvertOutcome&&) = default;
  ~InvertOutcome();
};

// expander/model: both null for records without an expander; otherwise the record's expander and its
// fitted model. app_transform: n×n S_app the attacker holds (null = none); a record bound to a key the
// attacker lacks is attacked with its bare P, as an attacker would.
InvertOutcome invert_record(const Record& r, const Expander* expander, const TeModel* model,
                            const float* app_transform, const InvertOptions& o = {});

}  // namespace spheremask::attack
