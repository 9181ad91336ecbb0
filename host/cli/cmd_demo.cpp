// `spheremask demo`: the whole flow on synthetic faces — enroll, verify genuine and impostor probes,
// derive a key, seal a payload and reopen it with another fresh photo. Prints a short summary.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "tools/npy.hpp"
#include "tools/sealed_file.hpp"
#include "spheremask/error.hpp"
#include "spheremask/store.hpp"
#include "cli/synthetic.hpp"

namespace spheremask::cli {
namespace {

size_t count_accepted(const std::vector<Decision>& d) { return size_t(std::count(d.begin(), d.end(), Decision::Accept)); }

std::span<const uint8_t> bytes_of(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

}  // namespace

void add_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "end-to-end demonstration on synthetic faces");
  struct Opts { EngineFlags engine; size_t people = 64; uint32_t dim = 512; double genuine_deg = 35; std::string dir = "spheremask-demo"; };
  auto o = std::make_shared<Opts>();
  o->engine.add_to(*cmd);
  cmd->add_option("--people", o->people, "synthetic identities")->capture_default_str();
  cmd->add_option("--dim", o->dim, "template dimension")->capture_default_str();
  cmd->add_option("--genuine-angle", o->genuine_deg, "angle of a fresh photo of the same person, degrees")->capture_default_str();
  cmd->add_option("--dir", o->dir, "working directory for the store and sealed file")->capture_default_str();
  cmd->callback([o] {
    if (o->people < 2) throw Error(ErrorCode::InvalidArgument, "--people must be at least 2");
    auto engine = o->engine.make(o->dim);
    const Params& p = engine->params();
    std::printf("spheremask demo: %zu synthetic people, %u-d templates, on %s\n", o->people, o->dim, engine->device_name().c_str());
    std::printf("  code C(%u, %u): %.1f bits, codewords at least %.2f deg apart\n", p.n, p.alpha, code_bits(p.n, p.alpha),
                min_angle_deg(p.alpha));
    // Enrollment photos, two fresh photos of each person, and strangers.
    const auto first = make_synthetic_pairs(seed_from_text("demo-a"), o->people, o->dim, o->genuine_deg);
    const auto second = make_synthetic_pairs(seed_from_text("demo-a"), o->people, o->dim, o->genuine_deg * 0.9);
    const auto strangers = make_synthetic_pairs(seed_from_text("demo-strangers"), o->people, o->dim, 0);

    const auto t0 = std::chrono::steady_clock::now();
    const auto records = engine->enroll(first.enroll.data(), o->people);
    const double enroll_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::filesystem::create_directories(o->dir);
    std::printf("  enrolled %zu people in %.2f s (%.0f/s); each record %.2f MiB (P is %u x %u %s), no template stored\n",
                o->people, enroll_s, double(o->people) / enroll_s, double(records[0].serialized_size()) / (1 << 20), p.n, p.n,
                p.dtype == Dtype::F16 ? "f16" : "f32");

    // Into the embedded store (SQLite, one transaction), and back out as the gallery everything below uses.
    const std::string store_path = o->dir + "/demo.sqlite";
    std::vector<std::string> ids(o->people);
    for (size_t i = 0; i < o->people; ++i) ids[i] = "person-" + std::to_string(i);
    {
      Store store = Store::open(store_path);
      store.put(ids, records, /*replace=*/true);
    }
    const Store store = Store::open(store_path, StoreMode::ReadOnly);
    GalleryChunk gallery = store.load_gallery(RecordConfig::of(records[0]));
    std::vector<Record> by_person(o->people);
    for (size_t k = 0; k < gallery.ids.size(); ++k) {
      const auto it = std::find(ids.begin(), ids.end(), gallery.ids[k]);
      if (it != ids.end()) by_person[size_t(it - ids.begin())] = gallery.records[k];
    }
    std::printf("  stored in %s: %zu records\n", store_path.c_str(), store.count());

    const size_t genuine = count_accepted(engine->verify(first.probe.data(), o->people, by_person));
    const size_t impostor = count_accepted(engine->verify(strangers.enroll.data(), o->people, by_person));
    std::printf("  1:1 - fresh photos at %.0f deg: %zu/%zu accepted; strangers: %zu/%zu accepted\n", o->genuine_deg,
                genuine, o->people, impostor, o->people);

    // 1:N - who is this? Probes of persons 0..3 and four strangers against the whole store.
    const size_t asked = std::min<size_t>(4, o->people);
    std::vector<float> who(2 * asked * o->dim);
    std::copy_n(second.probe.begin(), asked * o->dim, who.begin());
    std::copy_n(strangers.enroll.begin(), asked * o->dim, who.begin() + long(asked * o->dim));
    const auto found = engine->identify(who.data(), 2 * asked, gallery.records);
    size_t identified = 0, stranger_hits = 0;
    for (size_t q = 0; q < 2 * asked; ++q) {
      if (q < asked) identified += found[q].size() == 1 && gallery.ids[found[q][0]] == ids[q];
      else stranger_hits += found[q].size();
    }
    std::printf("  1:N - %zu/%zu fresh photos identified as the right person; strangers matched %zu ids\n", identified,
                asked, stranger_hits);

    // Two fresh photos of person 0 release the same key; the key itself is never shown.
    const auto k1 = engine->verify_and_derive(first.probe.data(), 1, std::span(by_person).first(1), "demo");
    const auto k2 = engine->verify_and_derive(second.probe.data(), 1, std::span(by_person).first(1), "demo");
    const bool same_key = k1[0].decision == Decision::Accept && k2[0].decision == Decision::Accept &&
                          k1[0].key.bytes() == k2[0].key.bytes();
    std::printf("  two fresh photos of person 0 release the same 256-bit key: %s\n", same_key ? "yes" : "NO");

    const std::string secret = "the diary of person 0";
    const auto sealed = make_sealed_file(by_person[0], "demo", k1[0].key, bytes_of(secret));
    const std::string path = o->dir + "/person0.smsf";
    write_file_atomic(path, sealed.data(), sealed.size());
    const SealedFile f = parse_sealed_file(sealed);
    const auto k3 = engine->verify_and_derive(second.probe.data(), 1, std::span(&f.record, 1), f.context);
    bool reopened = false;
    if (k3[0].decision == Decision::Accept) {
      const auto plain = open_sealed(k3[0].key, f.payload, f.header);
      reopened = std::string(plain.begin(), plain.end()) == secret;
    }
    const auto k4 = engine->verify_and_derive(strangers.enroll.data(), 1, std::span(&f.record, 1), f.context);
    std::printf("  sealed a file with person 0's face (%s): reopened with another photo: %s; a stranger: %s\n",
                path.c_str(), reopened ? "yes" : "NO", k4[0].decision == Decision::Accept ? "OPENED (bad)" : "refused");
    const bool ok = genuine == o->people && impostor == 0 && identified == asked && stranger_hits == 0 && same_key && reopened && k4[0].decision != Decision::Accept;
    std::printf("demo %s\n", ok ? "passed" : "FAILED");
    if (!ok) throw Error(ErrorCode::Backend, "demo checks failed");
  });
}

}  // namespace spheremask::cli
