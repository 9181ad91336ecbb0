// The engine: batched enrollment, verification and key release on one backend. Public methods
// validate inputs and split work into batches; the backend does the arithmetic.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spheremask/keys.hpp"
#include "spheremask/params.hpp"
#include "spheremask/record.hpp"

namespace spheremask {

enum class Backend { Auto, Cpu, Cuda };

SPHEREMASK_API const char* backend_name(Backend b);
// "cpu" | "cuda" | "auto"; throws Error{InvalidArgument} otherwise.
SPHEREMASK_API Backend parse_backend(std::string_view name);
// Number of usable CUDA devices; 0 when not compiled in, no driver or no device.
SPHEREMASK_API int cuda_device_count();

struct EngineOptions {
  int threads = 0;          // CPU worker threads; 0 = all cores
  int device = 0;           // CUDA device ordinal
  size_t batch_size = 0;    // templates per backend call; 0 = backend default
};

struct EnrollOptions {
  // INSECURE: derive every secret from this seed (DESIGN §3 deterministic mode; record flag bit 0).
  // For tests and benchmarks only.
  std::optional<std::array<uint8_t, 32>> insecure_seed;
  uint64_t first_index = 0;  // index of the first template of this call in the deterministic mode
};

enum class Decision : uint8_t { Reject = 0, Accept = 1, Tampered = 2 };

struct KeyedDecision {
  Decision decision = Decision::Reject;
  SecretKey key;  // HKDF key for the context when decision == Accept, zeros otherwise
};

namespace internal { class BackendImpl; }

class SPHEREMASK_API Engine {
 public:
  Engine(const Params& params, std::unique_ptr<internal::BackendImpl> backend, const EngineOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const Params& params() const { return params_; }
  Backend backend() const;
  std::string device_name() const;

  // templates: count × m float32, row-major. Returns one record per row.
  std::vector<Record> enroll(const float* templates, size_t count, const EnrollOptions& options = {});
  // Probe i against record i. Accept only when the decoded codeword's verifier and the MAC match.
  std::vector<Decision> verify(const float* probes, size_t count, std::span<const Record> records);
  // As verify, and releases HKDF(enc(c), "spheremask/v1/key" ‖ context) for accepted pairs.
  std::vector<KeyedDecision> verify_and_derive(const float* probes, size_t count,
                                               std::span<const Record> records, std::string_view context);
  // 1:N: for each probe, the indices of the gallery records that accept it (ascending).
  std::vector<std::vector<uint32_t>> identify(const float* probes, size_t count,
                                              std::span<const Record> gallery);

  // Normalized (and expanded, and application-bound) code-space vectors: count × n.
  std::vector<float> prepare(const float* templates, size_t count) const;

  internal::BackendImpl& impl() { return *backend_; }

 private:
  void check_record(const Record& r, size_t index) const;
  std::vector<KeyedDecision> verify_common(const float* probes, size_t count, std::span<const Record> records,
                                           const std::string_view* context);

  Params params_;
  EngineOptions options_;
  std::unique_ptr<internal::BackendImpl> backend_;
  std::array<uint8_t, 32> expander_id_{};
  std::array<uint8_t, 32> app_id_{};
  std::vector<float> app_transform_;  // n×n S_app when an application key is set
};

SPHEREMASK_API std::unique_ptr<Engine> make_engine(const Params& params, Backend backend = Backend::Auto,
                                    const EngineOptions& options = {});

}  // namespace spheremask
