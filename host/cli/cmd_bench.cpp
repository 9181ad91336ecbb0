// `spheremask bench`: median throughput of enroll / verify over repeated runs after a warm-up.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "cli/bench_floor.hpp"
#include "cli/bench_identify.hpp"
#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "format/chunk_digests.hpp"
#include "util/parallel.hpp"
#include "format/record_batch.hpp"
#include "spheremask/error.hpp"
#include "cli/synthetic.hpp"

namespace spheremask::cli {
namespace {

template <class Fn>
double seconds_of(Fn&& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t k = v.size() / 2;
  return v.size() % 2 ? v[k] : 0.5 * (v[k - 1] + v[k]);
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "throughput benchmark (median of repeats after a warm-up)");
  struct Opts { EngineFlags engine; std::string op = "verify"; size_t count = 64; int repeats = 3; bool json = false;
                size_t gallery = 1000, probes = 256; double bandwidth_gbs = 0; bool resident = false;
                bool from_bytes = false; };
  auto o = std::make_shared<Opts>();
  o->engine.add_to(*cmd);
  cmd->add_option("--op", o->op, "enroll, verify or identify")->check(CLI::IsMember({"enroll", "verify", "identify"}))->capture_default_str();
  cmd->add_option("--gallery", o->gallery, "identify: records in the synthetic gallery")->capture_default_str();
  cmd->add_option("--probes", o->probes, "identify: probes per timed run")->capture_default_str();
  cmd->add_option("--bandwidth-gbs", o->bandwidth_gbs, "identify: memory bandwidth for the floor (0 = measure / DESIGN §5)");
  cmd->add_option("--count", o->count, "templates per timed run")->capture_default_str();
  cmd->add_option("--repeats", o->repeats, "timed runs (the median is reported)")->capture_default_str();
  cmd->add_flag("--json", o->json, "machine-readable output");
  cmd->add_flag("--resident", o->resident,
                "verify/identify: load the records once with Engine::load_gallery (P resident on the device) and "
                "time calls against that gallery");
  cmd->add_flag("--from-bytes", o->from_bytes,
                "verify: time verification of serialized records (the server flow, checksums included): "
                "Engine::verify_serialized, and parse-then-verify next to it")
      ->excludes("--resident");
  cmd->callback([o] {
    if (o->op == "identify") {  // bench_identify.cpp
      const auto j = run_identify_bench(o->engine, o->gallery, o->probes, o->repeats, o->bandwidth_gbs, o->resident);
      if (o->json) return print_json(j);
      return (void)std::printf("identify n=%u gallery=%zu probes=%zu on %s: %.4g comparisons/s, %.2f probes/s (%.4f s)\n",
                               j["n"].get<uint32_t>(), o->gallery, o->probes, j["device"].get<std::string>().c_str(),
                               j["per_second"].get<double>(), j["probes_per_second"].get<double>(), j["seconds"].get<double>());
    }
    if (o->count == 0 || o->repeats < 1) throw Error(ErrorCode::InvalidArgument, "--count and --repeats must be positive");
    // With an expander the templates have its input dimension and n is its output dimension.
    // Without --n and without an expander, the original IronMask dimension 512.
    auto engine = o->engine.make(o->engine.expander.empty() ? (o->engine.n ? o->engine.n : 512) : 0);
    const uint32_t n = engine->params().n;
    const auto data = make_synthetic_pairs(seed_from_text("bench"), o->count, engine->params().m, 30.0);
    std::vector<double> times, two_step_times, cpu_times, two_step_cpu_times;
    size_t accepted = 0, accepted_two_step = 0;
    if (o->op == "enroll") {
      engine->enroll(data.enroll.data(), std::min<size_t>(o->count, 2));  // warm-up: workspaces, BLAS, device
      for (int r = 0; r < o->repeats; ++r)
        times.push_back(seconds_of([&] { engine->enroll(data.enroll.data(), o->count); }));
    } else if (o->resident) {  // probe i against gallery record i, P read from the resident copy
      const auto gallery = engine->load_gallery(engine->enroll(data.enroll.data(), o->count));
      std::vector<uint32_t> index(o->count);
      for (size_t i = 0; i < index.size(); ++i) index[i] = uint32_t(i);
      engine->verify(data.probe.data(), o->count, *gallery, index);  // warm-up
      for (int r = 0; r < o->repeats; ++r)
        times.push_back(seconds_of([&] {
          const auto d = engine->verify(data.probe.data(), o->count, *gallery, index);
          accepted = size_t(std::count(d.begin(), d.end(), Decision::Accept));
        }));
    } else if (o->from_bytes) {  // the server flow: serialized records in, decisions out (checksums included)
      std::vector<std::vector<uint8_t>> blobs;
      for (const auto& r : engine->enroll(data.enroll.data(), o->count)) blobs.push_back(r.serialize());
      const std::vector<std::span<const uint8_t>> views(blobs.begin(), blobs.end());
      const int threads = internal::resolve_threads(o->engine.threads);
      // Where the engine hashes the P it uploads (CUDA), parse leaves the root to that pass.
      const bool defer = engine->defers_checksums();
      auto serialized = [&] {  // Engine::verify_serialized: P hashed and multiplied in one pass, never copied
        const auto d = engine->verify_serialized(data.probe.data(), o->count, views, o->engine.allow_weak);
        accepted = size_t(std::count(d.begin(), d.end(), Decision::Accept));
      };
      auto parse_then_verify = [&] {  // Record::parse (copies P) on all threads, then Engine::verify
        std::vector<Record> records;
        records.reserve(blobs.size());
        for (auto& p : internal::parse_records(blobs, o->engine.allow_weak, threads, defer)) {
          if (!p.ok) throw Error(ErrorCode::InvalidRecord, p.error);
          records.push_back(std::move(p.record));
        }
        const auto d = engine->verify(data.probe.data(), o->count, records);
        accepted_two_step = size_t(std::count(d.begin(), d.end(), Decision::Accept));
      };
      serialized();  // warm-up
      parse_then_verify();
      for (int r = 0; r < o->repeats; ++r) {  // interleaved, so both see the same machine load
        double c0 = thread_cpu_seconds();
        times.push_back(seconds_of(serialized));
        cpu_times.push_back(thread_cpu_seconds() - c0);
        c0 = thread_cpu_seconds();
        two_step_times.push_back(seconds_of(parse_then_verify));
        two_step_cpu_times.push_back(thread_cpu_seconds() - c0);
      }
    } else {
      const auto records = engine->enroll(data.enroll.data(), o->count);
      engine->verify(data.probe.data(), o->count, records);  // warm-up
      for (int r = 0; r < o->repeats; ++r)
        times.push_back(seconds_of([&] {
          const auto d = engine->verify(data.probe.data(), o->count, records);
          accepted = size_t(std::count(d.begin(), d.end(), Decision::Accept));
        }));
    }
    const double sec = median(times);
    const int threads = engine->backend() == Backend::Cpu ? internal::resolve_threads(o->engine.threads) : 0;
    nlohmann::json j = {{"op", o->op}, {"n", n}, {"alpha", o->engine.alpha}, {"backend", backend_name(engine->backend())},
                        {"threads", threads}, {"count", o->count}, {"per_second", double(o->count) / sec},
                        {"seconds", sec}, {"repeats", o->repeats}, {"dtype", o->engine.dtype},
                        {"device", engine->device_name()}};
    if (o->op == "enroll" && engine->backend() == Backend::Cpu) {
      const double gflops = single_thread_sgemm_gflops(n);
      const double floor = cpu_enroll_floor_per_second(n, gflops, threads);
      j["sgemm_gflops_1thread"] = gflops;
      j["floor_per_second"] = floor;  // (4/3)n³ flop per template at the measured SGEMM rate
      j["fraction_of_floor"] = double(o->count) / sec / floor;
    }
    if (o->op == "verify") {
      j["accepted"] = accepted;  // genuine probes at 30°: all should be accepted
      j["resident"] = o->resident;
      j["from_bytes"] = o->from_bytes;
      if (o->from_bytes) j["checksum_on_device"] = engine->defers_checksums();
      // In memory, SMHD v2 verification hashes no P (the MAC is over the digest-tree root), so only the
      // from-bytes row has a hashing floor: one pass over P per record at the measured chunk rate.
      if (engine->backend() == Backend::Cpu && o->from_bytes) {
        const size_t p_bytes = size_t(n) * n * (o->engine.dtype == "f16" ? 2 : 4);
        const auto rate = single_thread_chunk_hash_rate(p_bytes);
        const double floor = threads * rate.wall_gbs * 1e9 / double(p_bytes);
        j["hash_impl"] = format::hash_impl_name(format::fastest_chunk_hasher());  // what parse uses
        j["hash_floor_impl"] = rate.impl;                                          // the fastest measured now
        j["hash_gbs_1thread"] = rate.wall_gbs;
        j["floor_per_second"] = floor;
        j["fraction_of_floor"] = double(o->count) / sec / floor;
        const double two_step = median(two_step_times);
        j["parse_then_verify_per_second"] = double(o->count) / two_step;
        j["parse_then_verify_fraction_of_floor"] = double(o->count) / two_step / floor;
        if (threads == 1) {  // all the work ran on this thread: its CPU time leaves out waiting for a core
          const double cpu_floor = rate.cpu_gbs * 1e9 / double(p_bytes);
          j["cpu_time"] = {{"hash_gbs_1thread", rate.cpu_gbs},
                           {"floor_per_second", cpu_floor},
                           {"per_second", double(o->count) / median(cpu_times)},
                           {"fraction_of_floor", double(o->count) / median(cpu_times) / cpu_floor},
                           {"parse_then_verify_per_second", double(o->count) / median(two_step_cpu_times)},
                           {"parse_then_verify_fraction_of_floor",
                            double(o->count) / median(two_step_cpu_times) / cpu_floor}};
        }
      }
      if (o->from_bytes) j["parse_then_verify_accepted"] = accepted_two_step;
    }
    if (o->json) return print_json(j);
    std::printf("%s%s n=%u alpha=%u on %s: %.1f per second (median of %d runs of %zu, %.4f s each)\n", o->op.c_str(),
                o->from_bytes ? " (from bytes)" : "", n,
                o->engine.alpha, engine->device_name().c_str(), double(o->count) / sec, o->repeats, o->count, sec);
  });
}

}  // namespace spheremask::cli
