// Writes the committed seed corpora of the fuzz harnesses: small valid inputs (n ≤ 16) for every
// format, each prefixed by the harness's options byte (fuzz_common.hpp). Run by scripts/fuzz.sh seeds;
// deterministic (insecure seeds, fixed data), so rerunning rewrites the same files.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tools/npy.hpp"
#include "tools/sealed_file.hpp"
#include "spheremask/engine.hpp"
#include "spheremask/expander_file.hpp"

using namespace spheremask;
namespace fs = std::filesystem;

namespace {

fs::path root;

void write(const std::string& harness, const std::string& name, uint8_t options, const std::vector<uint8_t>& bytes) {
  fs::create_directories(root / harness);
  std::ofstream out(root / harness / name, std::ios::binary);
  out.put(char(options));
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

std::vector<Record> records(uint32_t n, uint32_t alpha, Dtype dtype, bool app_key, size_t count) {
  Params p;
  p.m = p.n = n;
  p.alpha = alpha;
  p.dtype = dtype;
  p.allow_weak = true;
  if (app_key) p.app_key = std::array<uint8_t, 32>{1, 2, 3};
  std::vector<float> t(count * n);
  for (size_t i = 0; i < t.size(); ++i) t[i] = float((i * 7919) % 13) - 6.0f + 0.5f;
  EnrollOptions o;
  o.insecure_seed = std::array<uint8_t, 32>{42};
  return make_engine(p, Backend::Cpu)->enroll(t.data(), count, o);
}

std::vector<uint8_t> file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  root = argv[1];
  const auto f32 = records(16, 4, Dtype::F32, false, 2);
  const auto f16 = records(16, 4, Dtype::F16, true, 1);
  const auto tiny = records(4, 1, Dtype::F32, false, 1);
  const std::vector<std::pair<std::string, std::vector<uint8_t>>> recs = {
      {"f32-n16", f32[0].serialize()}, {"f16-n16-app", f16[0].serialize()}, {"f32-n4", tiny[0].serialize()}};
  for (const auto& [name, bytes] : recs)
    for (const std::string harness : {"fuzz_record_parse", "fuzz_capi_parse"}) {
      write(harness, name, 1, bytes);
      write(harness, name + "-fixsum", 3, bytes);
    }
  std::vector<uint8_t> batch;
  for (const auto& [name, bytes] : recs) {
    batch.push_back(uint8_t(bytes.size()));
    batch.push_back(uint8_t(bytes.size() >> 8));
    batch.insert(batch.end(), bytes.begin(), bytes.end());
  }
  write("fuzz_record_batch", "three", 1, batch);
  write("fuzz_record_batch", "three-fixsum", 3, batch);

  for (const auto& [name, r] : {std::pair{"f32-n16", f32[1]}, std::pair{"f16-n16-app", f16[0]}}) {
    std::vector<uint8_t> row = {5, 'a', 'l', 'i', 'c', 'e'};
    for (uint32_t v : {r.m, r.n, r.alpha})
      for (int i = 0; i < 4; ++i) row.push_back(uint8_t(v >> (8 * i)));
    row.push_back(r.dtype == Dtype::F16 ? 1 : 0);
    row.push_back(1);
    row.insert(row.end(), r.expander_id.begin(), r.expander_id.end());
    row.insert(row.end(), r.app_id.begin(), r.app_id.end());
    const auto bytes = r.serialize();
    row.insert(row.end(), bytes.begin(), bytes.end());
    write("fuzz_store_rows", name, 1, row);
    write("fuzz_store_rows", std::string(name) + "-fixsum", 3, row);
  }

  for (const auto& [m, n] : {std::pair{2u, 2u}, std::pair{4u, 8u}}) {
    const auto bytes = serialize_expander(init_expander(m, n, std::array<uint8_t, 32>{7}));
    const std::string name = "m" + std::to_string(m) + "-n" + std::to_string(n);
    write("fuzz_expander_file", name, 0, bytes);
    write("fuzz_expander_file", name + "-fixsum", 2, bytes);
  }

  const std::vector<uint8_t> plain = {'s', 'e', 'c', 'r', 'e', 't'};
  const auto sealed = make_sealed_file(f32[0], "ctx", SecretKey(), plain);
  write("fuzz_sealed_file", "f32-n16", 1, sealed);
  write("fuzz_sealed_file", "f32-n16-fixsum", 3, sealed);
  write("fuzz_sealed_file", "f16-n16-empty", 1, make_sealed_file(f16[0], "", SecretKey(), {}));

  const fs::path tmp = fs::temp_directory_path() / "spheremask-make-seeds.npy";
  const std::vector<float> values = {1, -2, 3.5f, 0, 1e-3f, 7, 8, 9, 10, 11, 12, 13};
  for (const auto& [rows, cols] : {std::pair{3u, 4u}, std::pair{1u, 1u}, std::pair{0u, 4u}}) {
    write_npy_f32(tmp.string(), values.data(), rows, cols);
    write("fuzz_npy", std::to_string(rows) + "x" + std::to_string(cols), 0, file_bytes(tmp));
  }
  fs::remove(tmp);
  return 0;
}
