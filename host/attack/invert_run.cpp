#include "attack/invert_run.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>

#include "expander/expander_rng.hpp"
#include "util/parallel.hpp"
#include "spheremask/detail/bytes.hpp"
#include "spheremask/error.hpp"
#include "spheremask/keys.hpp"
#include "spheremask/store.hpp"
#include "engine/engine_internals.hpp"
#include "engine/template_prep.hpp"

namespace spheremask::attack {

InvertReport invert_records(std::span<const Record> records, const InvertRunOptions& o) {
  InvertReport report;
  if (records.empty()) return report;
  const Record& first = records[0];
  const RecordConfig config = RecordConfig::of(first);
  for (size_t i = 1; i < records.size(); ++i)
    if (!(RecordConfig::of(records[i]) == config))
      throw Error(ErrorCode::Mismatch, "record " + std::to_string(i) + " has " + RecordConfig::of(records[i]).describe() +
                                           ", record 0 has " + config.describe() + ": attack one configuration at a time");
  const std::array<uint8_t, 32> none{};
  const bool has_expander = first.expander_id != none;
  if (has_expander && !o.expander)
    throw Error(ErrorCode::Mismatch, "the records were made with an expander: pass the expander file (the public TE)");
  if (!has_expander && o.expander)
    throw Error(ErrorCode::Mismatch, "the records were made without an expander, but one was given");
  if (o.expander && o.expander->id() != first.expander_id)
    throw Error(ErrorCode::Mismatch, "the given expander is not the one the records were made with (expander id differs)");

  const bool bound = first.app_id != none;
  const bool key_known = bound && o.app_key && internal::app_id(*o.app_key) == first.app_id;
  const std::string binding = !bound ? "none" : (key_known ? "known" : "unknown");

  // The engine that judges t*: the records' configuration, with the attacker's key when it is the right one.
  Params params;
  params.m = first.m;
  params.n = first.n;
  params.alpha = first.alpha;
  params.dtype = first.dtype;
  params.allow_weak = true;
  params.expander = o.expander;
  if (key_known) params.app_key = o.app_key;
  EngineOptions eo;
  eo.threads = 1;
  auto engine = (!bound || key_known) ? make_engine(params, Backend::Cpu, eo) : nullptr;
  std::vector<float> s_app;
  if (key_known) s_app = internal::app_transform(internal::EngineInternals::backend(*engine), *o.app_key, first.n);

  TeModel model;
  if (o.expander) {
    const auto t0 = std::chrono::steady_clock::now();
    model = fit_te_model(*o.expander, o.model_seed);
    report.model_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    report.outside_energy = model.outside_energy;
    report.affine_residual = model.affine_residual;
  }

  report.verdicts.resize(records.size());
  std::mutex progress_mutex;
  size_t done = 0;
  internal::parallel_for(records.size(), internal::resolve_threads(o.threads), [&](size_t begin, size_t end, int) {
    for (size_t i = begin; i < end; ++i) {
      InvertOutcome r = invert_record(records[i], o.expander.get(), o.expander ? &model : nullptr,
                                      s_app.empty() ? nullptr : s_app.data(), o.invert);
      InvertVerdict& v = report.verdicts[i];
      v.found = r.found;
      v.method = r.method;
      v.note = r.note;
      v.candidates = r.candidates;
      v.seconds = r.seconds;
      v.app_binding = binding;
      if (r.found && engine) {
        const auto d = engine->verify_and_derive(r.template_star.data(), 1, records.subspan(i, 1), "");
        v.inverted = d[0].decision == Decision::Accept;
      } else if (r.found) {
        v.note = "codeword recovered; the record's application key is needed to confirm t* with the engine";
      }
      if (o.progress) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        o.progress(++done);
      }
    }
  });
  if (!s_app.empty()) secure_zero(s_app.data(), s_app.size() * sizeof(float));
  return report;
}

InvertMeasurement measure_invert(std::shared_ptr<const Expander> expander, uint32_t alpha, size_t count, uint64_t seed,
                                 int threads, const std::optional<AppKey>& enroll_key,
                                 const std::optional<AppKey>& attacker_key) {
  if (!expander) throw Error(ErrorCode::InvalidArgument, "measure_invert needs an expander");
  const uint32_t m = expander->input_dim();
  Params params;
  params.m = m;
  params.n = expander->output_dim();
  params.alpha = alpha;
  params.allow_weak = true;  // key-less expander records are exactly what is measured
  params.expander = expander;
  params.app_key = enroll_key;
  EngineOptions eo;
  eo.threads = threads;
  auto engine = make_engine(params, Backend::Cpu, eo);
  if (params.app_key) secure_zero(params.app_key->data(), params.app_key->size());
  internal::SimRng rng("attack/measure-templates", seed);
  std::vector<float> templates(count * m);
  for (size_t i = 0; i < count; ++i) rng.unit_vector(templates.data() + i * m, m);
  EnrollOptions en;
  en.insecure_seed = std::array<uint8_t, 32>{};
  detail::store_le64(en.insecure_seed->data(), seed);
  const auto records = engine->enroll(templates.data(), count, en);
  InvertRunOptions o;
  o.expander = expander;
  o.threads = threads;
  o.app_key = attacker_key;
  const InvertReport report = invert_records(records, o);
  if (o.app_key) secure_zero(o.app_key->data(), o.app_key->size());
  InvertMeasurement out;
  out.records = count;
  out.model_seconds = report.model_seconds;
  out.outside_energy = report.outside_energy;
  std::vector<double> secs;
  for (const auto& v : report.verdicts) {
    out.found += v.found;
    out.inverted += v.inverted;
    secs.push_back(v.seconds);
  }
  if (!secs.empty()) {
    std::sort(secs.begin(), secs.end());
    out.median_seconds = secs.size() % 2 ? secs[secs.size() / 2] : 0.5 * (secs[secs.size() / 2 - 1] + secs[secs.size() / 2]);
  }
  return out;
}

}  // namespace spheremask::attack
