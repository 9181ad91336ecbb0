// Helpers shared by the CLI subcommands: option parsing, engine construction, output.
#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "spheremask/engine.hpp"
#include "util/hex.hpp"

namespace spheremask::cli {

// Options every engine-building command shares (--n, --alpha, --dtype, --backend, --threads, --expander).
struct EngineFlags {
  uint32_t n = 0;  // 0 = same as the template dimension
  uint32_t alpha = 16;
  std::string dtype = "f32";
  std::string backend = "auto";
  int threads = 0;
  int device = 0;  // CUDA device ordinal (set per process by spheremask-mpi; the plain CLI uses device 0)
  std::string expander;  // path to an SMTE file, empty = none
  bool allow_weak = false;
  std::string app_key_file;  // 32 raw bytes or 64 hex digits; empty = no application key
  bool identify_tensor_cores = false;  // EngineOptions::identify_tensor_cores
  double list_angle_deg = 0;           // EngineOptions::list_decoding (0 = off)
  uint32_t list_max = ListDecoding{}.max_candidates;
  void add_to(CLI::App& cmd, bool with_dtype = true);
  // Builds the engine for templates of dimension m (0: the expander's input dimension); prints the
  // security warning under 112 bits to stderr.
  std::unique_ptr<Engine> make(uint32_t m) const;
};

// The CUDA backend's switches, which only the command line reads from the environment (the library
// takes them as EngineOptions): SPHEREMASK_CUDA_HAAR=auto|orgqr|wy → cuda_haar,
// SPHEREMASK_CUDA_GALLERY_CAP_MIB=M (M ≥ 1) → gallery_cap_bytes. Unset or empty leaves the default;
// any other value is Error{InvalidArgument} naming the variable. EngineFlags::make applies it.
void apply_cuda_environment(EngineOptions& o);

std::array<uint8_t, 32> parse_seed_hex(const std::string& hex);
// Reads an application key file: exactly 32 raw bytes, or 64 hex digits (surrounding whitespace allowed).
std::array<uint8_t, 32> read_app_key_file(const std::string& path);
using internal::to_hex;  // lower-case hex of bytes (util/hex.hpp)
// Seed for synthetic data: a decimal number or 64 hex digits, hashed to 32 bytes.
std::array<uint8_t, 32> seed_from_text(const std::string& text);

void print_json(const nlohmann::json& j);
// Loads every *.smhd in dir sorted by name (record-000000.smhd, ...).
std::vector<Record> load_record_dir(const std::string& dir, bool allow_weak);
std::string record_file_name(size_t index);

}  // namespace spheremask::cli
