#include "cli/bench_identify.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "util/parallel.hpp"
#include "spheremask/error.hpp"
#include "cli/synthetic.hpp"

namespace spheremask::cli {
namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Bytes/s of a multi-threaded streaming read over every record's P: the CPU memory floor.
double measure_read_bandwidth(const std::vector<Record>& gallery, int threads) {
  std::atomic<uint64_t> sink{0};
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    size_t bytes = 0;
    const double t0 = now_s();
    internal::parallel_for(gallery.size(), threads, [&](size_t b, size_t e, int) {
      uint64_t acc = 0;
      for (size_t i = b; i < e; ++i) {
        const auto& p = gallery[i].p;
        for (size_t k = 0; k + 8 <= p.size(); k += 8) {
          uint64_t w;
          std::memcpy(&w, p.data() + k, 8);
          acc += w;
        }
      }
      sink += acc;
    });
    for (const auto& r : gallery) bytes += r.p.size();
    best = std::max(best, double(bytes) / (now_s() - t0));
  }
  return best;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t k = v.size() / 2;
  return v.size() % 2 ? v[k] : 0.5 * (v[k - 1] + v[k]);
}

}  // namespace

nlohmann::json run_identify_bench(const EngineFlags& flags, size_t gallery, size_t probes, int repeats,
                                  double bandwidth_gbs, bool resident) {
  if (gallery == 0 || probes == 0 || repeats < 1)
    throw Error(ErrorCode::InvalidArgument, "--gallery, --probes and --repeats must be positive");
  const uint32_t n = flags.n == 0 ? 512 : flags.n;
  auto engine = flags.make(n);
  const uint32_t dim = engine->params().m;
  const auto data = make_synthetic_pairs(seed_from_text("bench-identify"), gallery, dim, 30.0);
  EnrollOptions eo;
  eo.insecure_seed = seed_from_text("bench-identify-enroll");  // benchmark data, never real templates
  std::fprintf(stderr, "bench identify: enrolling a gallery of %zu on %s...\n", gallery, engine->device_name().c_str());
  const double te0 = now_s();
  const std::vector<Record> records = engine->enroll(data.enroll.data(), gallery, eo);
  const double enroll_s = now_s() - te0;
  std::vector<float> y(probes * dim);
  for (size_t i = 0; i < probes; ++i)
    std::memcpy(y.data() + i * dim, data.probe.data() + (i % gallery) * dim, dim * sizeof(float));

  // --resident: P loaded once (on the device for CUDA); the timed calls read only the resident copy.
  const std::unique_ptr<Gallery> loaded = resident ? engine->load_gallery(records) : nullptr;
  const auto identify = [&](size_t count) {
    return loaded ? engine->identify(y.data(), count, *loaded) : engine->identify(y.data(), count, records);
  };
  identify(1);  // warm-up: workspaces, BLAS, device gallery
  std::vector<double> times;
  std::vector<std::vector<uint32_t>> hits;
  for (int r = 0; r < repeats; ++r) {
    const double t0 = now_s();
    hits = identify(probes);
    times.push_back(now_s() - t0);
  }
  size_t genuine = 0, other = 0;
  for (size_t i = 0; i < probes; ++i)
    for (uint32_t r : hits[i]) (r == i % gallery ? genuine : other) += 1;

  const double sec = median(times);
  size_t gallery_bytes = 0;
  for (const auto& r : records) gallery_bytes += r.p.size();
  std::string bandwidth_source = "given";
  if (bandwidth_gbs <= 0) {
    if (engine->backend() == Backend::Cpu) {
      bandwidth_gbs = measure_read_bandwidth(records, internal::resolve_threads(flags.threads)) / 1e9;
      bandwidth_source = "measured streaming read of the gallery";
    } else {
      const std::string dev = engine->device_name();
      bandwidth_gbs = dev.find("H200") != std::string::npos ? 4300 : dev.find("H100") != std::string::npos ? 3000 : 0;
      bandwidth_source = bandwidth_gbs > 0 ? "DESIGN §5 HBM figure" : "unknown";
    }
  }
  nlohmann::json j = {{"op", "identify"}, {"n", n}, {"alpha", engine->params().alpha},
                      {"dtype", flags.dtype}, {"backend", backend_name(engine->backend())},
                      {"device", engine->device_name()}, {"gallery", gallery}, {"probes", probes},
                      {"repeats", repeats}, {"seconds", sec}, {"resident", resident},
                      {"tensor_cores", flags.identify_tensor_cores},
                      {"per_second", double(gallery) * double(probes) / sec},
                      {"probes_per_second", double(probes) / sec},
                      {"gallery_bytes", gallery_bytes}, {"gallery_enroll_seconds", enroll_s},
                      {"genuine_found", genuine}, {"other_matches", other},
                      {"bandwidth_gbs", bandwidth_gbs}, {"bandwidth_source", bandwidth_source}};
  if (bandwidth_gbs > 0) {
    const double floor_s = double(gallery_bytes) / (bandwidth_gbs * 1e9);
    j["floor_seconds"] = floor_s;  // one pass over the gallery
    j["fraction_of_floor"] = floor_s / sec;
  }
  return j;
}

}  // namespace spheremask::cli
