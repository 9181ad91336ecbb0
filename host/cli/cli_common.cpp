#include "cli/cli_common.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>

#include "cli/record_files.hpp"
#include "cli/unwarned_engine.hpp"
#include "crypto/crypto.hpp"
#include "tools/npy.hpp"
#include "spheremask/error.hpp"
#include "spheremask/expander_file.hpp"

namespace spheremask::cli {

void EngineFlags::add_to(CLI::App& cmd, bool with_dtype) {
  cmd.add_option("--n", n, "code dimension (default: the template dimension, or the expander's output)");
  cmd.add_option("--alpha", alpha, "nonzeros per codeword")->capture_default_str();
  if (with_dtype) cmd.add_option("--dtype", dtype, "P storage: f32 or f16")->check(CLI::IsMember({"f32", "f16"}))->capture_default_str();
  cmd.add_option("--backend", backend, "cpu, cuda or auto")->check(CLI::IsMember({"cpu", "cuda", "auto"}))->capture_default_str();
  cmd.add_option("--threads", threads, "CPU threads (0 = all cores)");
  cmd.add_option("--expander", expander, "template expander weights (.smte)");
  cmd.add_flag("--allow-weak", allow_weak, "accept codes under 80 bits and expander enrollment without --app-key-file (testing only)");
  cmd.add_option("--app-key-file", app_key_file,
                 "application key the records are bound to: a file of 32 raw bytes or 64 hex digits (DESIGN §3)");
  cmd.add_flag("--identify-tensor-cores", identify_tensor_cores,
               "CUDA, f16 records: identify on tensor cores (f16 × split f16 probes, FP32 accumulation); decisions may "
               "differ from the CPU's only for near ties (cuda/gallery/split_product.hpp)");
  cmd.add_option("--list-angle", list_angle_deg,
                 "list decoding: also try every codeword within this angle (degrees, 0 = off): accepts probes within it "
                 "of the enrolled template, like a cosine matcher; raises the FAR, choose it by measured FAR; CPU only")
      ->check(CLI::Range(0.0, 80.0));
  cmd.add_option("--list-max", list_max, "list decoding: at most this many codewords tried per probe")
      ->check(CLI::Range(1u, 1u << 20))
      ->capture_default_str();
}

std::unique_ptr<Engine> EngineFlags::make(uint32_t m) const {
  auto engine = make_engine_unwarned(*this, m);
  warn_if_weak_code(engine->params().n, engine->params().alpha);
  return engine;
}

void warn_if_weak_code(uint32_t n, uint32_t alpha) {
  const double bits = code_bits(n, alpha);
  if (bits < kWarnBits)
    std::fprintf(stderr, "spheremask: warning: code C(%u, %u) has %.1f bits (< %.0f recommended)\n", n, alpha, bits,
                 kWarnBits);
}

std::unique_ptr<Engine> make_engine_unwarned(const EngineFlags& flags, uint32_t m) {
  Params p;
  p.m = m;
  p.alpha = flags.alpha;
  p.dtype = flags.dtype == "f16" ? Dtype::F16 : Dtype::F32;
  p.allow_weak = flags.allow_weak;
  if (!flags.app_key_file.empty()) p.app_key = read_app_key_file(flags.app_key_file);
  if (!flags.expander.empty()) {
    p.expander = load_expander(flags.expander);
    if (m == 0) p.m = p.expander->input_dim();
    p.n = p.expander->output_dim();
    if (flags.n != 0 && flags.n != p.n)
      throw Error(ErrorCode::InvalidArgument, "--n " + std::to_string(flags.n) + " disagrees with the expander's output dimension " +
                                                  std::to_string(p.n));
  } else {
    p.n = flags.n == 0 ? m : flags.n;
  }
  EngineOptions o;
  o.threads = flags.threads;
  o.device = flags.device;
  apply_cuda_environment(o);
  o.identify_tensor_cores = flags.identify_tensor_cores;
  o.list_decoding.max_angle_deg = flags.list_angle_deg;
  o.list_decoding.max_candidates = flags.list_max;
  return make_engine(p, parse_backend(flags.backend), o);
}

void apply_cuda_environment(EngineOptions& o) {
  if (const char* v = std::getenv("SPHEREMASK_CUDA_HAAR"); v && *v) {
    const std::string haar = v;
    if (haar == "auto") o.cuda_haar = CudaHaar::Auto;
    else if (haar == "orgqr") o.cuda_haar = CudaHaar::Orgqr;
    else if (haar == "wy") o.cuda_haar = CudaHaar::Wy;
    else throw Error(ErrorCode::InvalidArgument, "SPHEREMASK_CUDA_HAAR=" + haar + ": expected auto, orgqr or wy");
  }
  if (const char* v = std::getenv("SPHEREMASK_CUDA_GALLERY_CAP_MIB"); v && *v) {
    const std::string text = v;
    char* end = nullptr;
    errno = 0;
    const unsigned long long mib = std::strtoull(text.c_str(), &end, 10);
    // strtoull accepts a sign and wraps "-1"; a cap of 0 would hold nothing (no cap is: unset).
    if (text.find_first_not_of("0123456789") != std::string::npos || *end != '\0' || errno == ERANGE || mib == 0 ||
        mib > (std::numeric_limits<size_t>::max() >> 20))
      throw Error(ErrorCode::InvalidArgument,
                  "SPHEREMASK_CUDA_GALLERY_CAP_MIB=" + text + ": expected a whole number of MiB, at least 1");
    o.gallery_cap_bytes = size_t(mib) << 20;
  }
  if (const char* v = std::getenv("SPHEREMASK_CUDA_CHUNK_HASH"); v && *v) {
    const std::string where = v;
    if (where == "device") o.cuda_chunk_hash_on_device = true;
    else if (where == "host") o.cuda_chunk_hash_on_device = false;
    else throw Error(ErrorCode::InvalidArgument, "SPHEREMASK_CUDA_CHUNK_HASH=" + where + ": expected device or host");
  }
}

std::array<uint8_t, 32> parse_seed_hex(const std::string& hex) {
  if (hex.size() != 64) throw Error(ErrorCode::InvalidArgument, "seed must be 64 hex digits (32 bytes)");
  std::array<uint8_t, 32> out{};
  if (!internal::from_hex(hex, out)) throw Error(ErrorCode::InvalidArgument, "seed has a non-hex character");
  return out;
}

std::array<uint8_t, 32> read_app_key_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::Io, "cannot read the application key file " + path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::array<uint8_t, 32> key{};
  const auto wipe_bytes = [&] { secure_zero(bytes.data(), bytes.size()); };
  if (bytes.size() == 32) {
    std::copy(bytes.begin(), bytes.end(), key.begin());
    wipe_bytes();
    return key;
  }
  const size_t first = bytes.find_first_not_of(" \t\r\n");
  const size_t last = bytes.find_last_not_of(" \t\r\n");
  const bool parsed = first != std::string::npos &&
                      internal::from_hex(std::string_view(bytes).substr(first, last - first + 1), key);
  wipe_bytes();
  if (!parsed) {
    secure_zero(key.data(), key.size());
    throw Error(ErrorCode::InvalidArgument,
                "application key file " + path + " must hold 32 raw bytes or 64 hex digits");
  }
  return key;
}

std::array<uint8_t, 32> seed_from_text(const std::string& text) {
  std::array<uint8_t, 32> hex_seed{};
  if (internal::from_hex(text, hex_seed)) return hex_seed;
  const std::string label = "spheremask/v1/synthetic-seed/" + text;
  return crypto::sha256({reinterpret_cast<const uint8_t*>(label.data()), label.size()});
}

void print_json(const nlohmann::json& j) { std::cout << j.dump() << std::endl; }

std::string record_file_name(size_t index) {
  char name[32];
  std::snprintf(name, sizeof name, "record-%07zu.smhd", index);
  return name;
}

std::vector<Record> load_record_dir(const std::string& dir, bool allow_weak) {
  const auto files = list_record_files(dir);
  std::vector<Record> out;
  out.reserve(files.size());
  for (const auto& f : files) {
    const std::string bytes = read_record_file(f);
    out.push_back(parse_record_file(f, bytes_of(bytes), allow_weak));
  }
  return out;
}

}  // namespace spheremask::cli
