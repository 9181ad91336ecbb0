#include "attack/plra_experiment.hpp"

#include <cblas.h>

#include <cmath>
#include <string>

#include "attack/pull_back.hpp"
#include "attack/te_model.hpp"
#include "crypto/crypto.hpp"
#include "expander/expander_rng.hpp"
#include "crypto/keyflow.hpp"
#include "spheremask/detail/bytes.hpp"
#include "spheremask/engine.hpp"
#include "spheremask/error.hpp"
#include "spheremask/keys.hpp"
#include "engine/engine_internals.hpp"
#include "engine/template_prep.hpp"

namespace spheremask::attack {

namespace {

std::unique_ptr<Engine> plain_engine(uint32_t n, uint32_t alpha, const std::optional<AppKey>& key,
                                     std::shared_ptr<const Expander> expander = nullptr) {
  Params p;
  p.m = expander ? expander->input_dim() : n;
  p.n = n;
  p.alpha = alpha;
  p.allow_weak = true;  // the experiment runs at small n on purpose
  p.app_key = key;
  p.expander = std::move(expander);
  auto engine = make_engine(p, Backend::Cpu);
  if (p.app_key) secure_zero(p.app_key->data(), 32);
  return engine;
}

// Experiment keys are derived from the seed: the experiment reproduces, and they protect nothing real.
AppKey experiment_key(uint64_t seed, uint64_t index) {
  std::array<uint8_t, 32> s{};
  detail::store_le64(s.data(), seed);
  return keyflow::deterministic_key("plra-experiment/app", s, index);
}

// All records made with one expander (or none), and `expander`, when given, is that one.
void check_expander(std::span<const Record> records, const Expander* expander) {
  const std::array<uint8_t, 32> none{};
  for (size_t j = 0; j < records.size(); ++j)
    if (records[j].expander_id != records[0].expander_id)
      throw Error(ErrorCode::Mismatch, "record " + std::to_string(j) + " was made with another expander than record 0");
  if (!expander) return;
  if (records[0].expander_id == none)
    throw Error(ErrorCode::Mismatch, "the records were made without an expander, but one was given");
  if (expander->id() != records[0].expander_id || expander->output_dim() != records[0].n)
    throw Error(ErrorCode::Mismatch, "the given expander is not the one the records were made with (expander id differs)");
}

}  // namespace

std::string plra_acceptance_blocker(std::span<const Record> records, const std::optional<AppKey>& key,
                                    const Expander* expander) {
  const std::array<uint8_t, 32> none{};
  if (records.empty()) return "no records";
  check_expander(records, expander);
  if (records[0].expander_id != none && !expander)
    return "the records were made through an expander: the recovered vector is S_app*TE(t) in code space, not a "
           "template; pass the expander (--expander) to pull it back to one as attack invert does";
  const std::array<uint8_t, 32> id = key ? internal::app_id(*key) : none;
  for (const Record& r : records)
    if (r.app_id == id) return "";
  return key ? "no record is bound to the given application key: no engine here can judge the recovered vector"
             : "the records are bound to an application key the attacker does not hold (--app-key-file to check)";
}

size_t plra_accepted(std::span<const Record> records, const std::vector<float>& u, const std::optional<AppKey>& key,
                     std::shared_ptr<const Expander> expander, int gauss_newton_steps) {
  if (records.empty() || u.empty()) return 0;
  const uint32_t n = records[0].n;
  if (u.size() != n) throw Error(ErrorCode::InvalidArgument, "recovered vector has the wrong dimension");
  check_expander(records, expander.get());
  if (records[0].expander_id != std::array<uint8_t, 32>{} && !expander)
    throw Error(ErrorCode::InvalidArgument,
                "records made through an expander: the code-space vector is not a template; pass the expander");
  const std::array<uint8_t, 32> none{};
  auto engine = plain_engine(n, records[0].alpha, key, expander);
  const std::array<uint8_t, 32> id = key ? internal::app_id(*key) : none;
  std::vector<float> t = u;
  if (key) {  // S_appᵀ·u, so that the engine's binding S_app·(·) gives u back
    std::vector<float> s = internal::app_transform(internal::EngineInternals::backend(*engine), *key, n);
    cblas_sgemv(CblasRowMajor, CblasTrans, int(n), int(n), 1.0f, s.data(), int(n), u.data(), 1, 0.0f, t.data(), 1);
    secure_zero(s.data(), s.size() * sizeof(float));
  }
  if (expander) {  // t holds TE(t*): pull it back to the template the engine takes
    const TeModel model = fit_te_model(*expander);
    std::vector<float> pulled = pull_back_template(*expander, model, t.data(), gauss_newton_steps);
    secure_zero(t.data(), t.size() * sizeof(float));
    t.swap(pulled);
  }
  std::vector<Record> mine;
  for (const Record& r : records)
    if (r.app_id == id && r.n == n && r.alpha == records[0].alpha) mine.push_back(r);
  std::vector<float> probes;
  for (size_t j = 0; j < mine.size(); ++j) probes.insert(probes.end(), t.begin(), t.end());
  const auto decisions = engine->verify(probes.data(), mine.size(), mine);
  secure_zero(t.data(), t.size() * sizeof(float));
  secure_zero(probes.data(), probes.size() * sizeof(float));
  size_t accepted = 0;
  for (auto d : decisions) accepted += d == Decision::Accept;
  return accepted;
}

PlraExperimentResult run_plra_experiment(const PlraExperiment& e) {
  if (e.records < 2) throw Error(ErrorCode::InvalidArgument, "the experiment needs at least two records");
  if (!(e.noise_deg >= 0 && e.noise_deg < 90)) throw Error(ErrorCode::InvalidArgument, "noise angle must be within 0..90 degrees");
  internal::SimRng rng("attack/plra/person", e.seed);
  std::vector<float> center(e.n), templates(size_t(e.records) * e.n);
  rng.unit_vector(center.data(), e.n);
  for (uint32_t j = 0; j < e.records; ++j)
    rng.at_angle(center.data(), e.noise_deg * M_PI / 180.0, templates.data() + size_t(j) * e.n, e.n);

  std::vector<std::optional<AppKey>> keys(e.records);
  for (uint32_t j = 0; j < e.records; ++j)
    if (e.keys != PlraKeys::None) keys[j] = experiment_key(e.seed, e.keys == PlraKeys::Same ? 0 : j);

  std::array<uint8_t, 32> enroll_seed{};
  detail::store_le64(enroll_seed.data(), e.seed);
  std::vector<Record> records;
  records.reserve(e.records);
  {
    std::unique_ptr<Engine> engine;
    for (uint32_t j = 0; j < e.records; ++j) {
      if (!engine || e.keys == PlraKeys::Different) engine = plain_engine(e.n, e.alpha, keys[j]);
      EnrollOptions eo;
      eo.insecure_seed = enroll_seed;
      eo.first_index = j;
      records.push_back(std::move(engine->enroll(templates.data() + size_t(j) * e.n, 1, eo)[0]));
    }
  }

  PlraExperimentResult out;
  PlraOptions o = e.attack;
  if (o.rows == 0 && o.noise_deg == 0) o.noise_deg = e.noise_deg;
  if (o.seed == 1) o.seed = e.seed;
  out.attack = plra_attack(records, o);
  if (out.attack.linked) {
    // Each record checked by an engine holding that record's key: the attacker who also held the keys.
    if (e.keys == PlraKeys::Different) {
      for (uint32_t j = 0; j < e.records; ++j)
        out.accepted += plra_accepted(std::span<const Record>(&records[j], 1), out.attack.code_vector, keys[j]);
    } else {
      out.accepted = plra_accepted(records, out.attack.code_vector, keys[0]);
    }
  }
  for (auto& k : keys)
    if (k) secure_zero(k->data(), 32);
  return out;
}

}  // namespace spheremask::attack
