// The engine: batched enrollment, verification and key release on one backend. Public methods
// validate inputs and split work into batches; the backend does the arithmetic.
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spheremask/keys.hpp"
#include "spheremask/multi_sample.hpp"
#include "spheremask/params.hpp"
#include "spheremask/record.hpp"

namespace spheremask {

enum class Backend { Auto, Cpu, Cuda };

SPHEREMASK_API const char* backend_name(Backend b);
// "cpu" | "cuda" | "auto"; throws Error{InvalidArgument} otherwise.
SPHEREMASK_API Backend parse_backend(std::string_view name);
// Number of usable CUDA devices; 0 when not compiled in, no driver or no device. Any other driver
// error throws Error{Backend} naming it (Backend::Auto then fails instead of silently using the CPU).
SPHEREMASK_API int cuda_device_count();

// How the CUDA backend forms Q from the sampled Householder vectors (DESIGN §3). Auto: the batched
// compact-WY form up to n = 1024, cuSOLVER orgqr above (the faster path at each n, bench/RESULTS.md).
// Both give the same Q to float rounding; forcing one is for benchmarks and cross-checks.
enum class CudaHaar : uint8_t { Auto = 0, Orgqr = 1, Wy = 2 };

// List decoding: verification and identification try more codewords than the nearest one. Because P is
// orthogonal and P·t = c, the enrolled codeword scores ⟨c, P·t'⟩ = cos∠(t, t') against a probe t', so trying
// every codeword c' with ⟨c', y⟩ ≥ cos(max_angle_deg) (signs those of y, best first) accepts exactly the probes
// within max_angle_deg of the enrolled template whose codeword ranks among the first max_candidates: the cosine
// matcher's hard threshold in place of IronMask's soft cliff (DESIGN §3 decode is the nearest codeword only).
// The nearest codeword is always tried, so a list decoder accepts everything the plain decoder accepts.
// Records and offline attacks are unchanged (an attacker holding a record can list-decode anyway); an online
// attempt tests up to max_candidates codewords, so the guessing bound per attempt is code bits −
// log2(max_candidates), and the FAR rises with the angle: choose it by measured FAR (`security --recommend`).
// Every candidate is hashed and compared, so the work depends on y, never on where the codeword ranks.
// CPU backend only (Backend::Auto picks the CPU when it is on).
struct ListDecoding {
  double max_angle_deg = 0;         // 0 = off (nearest codeword only); otherwise in (0, 80]
  uint32_t max_candidates = 4096;   // codewords tried per probe, nearest included: 1 … 1,048,576
  bool enabled() const { return max_angle_deg > 0; }
};

// Every setting of an engine is passed here; the library reads no environment variables.
struct EngineOptions {
  int threads = 0;          // CPU worker threads; 0 = all cores
  int device = 0;           // CUDA device ordinal
  size_t batch_size = 0;    // templates per backend call; 0 = backend default
  CudaHaar cuda_haar = CudaHaar::Auto;  // CUDA only; a value outside the enum is Error{InvalidArgument}
  // CUDA only: at most this many bytes of device memory for a resident gallery's P (sharing a card,
  // tests of streaming); records beyond it stay in host memory and are streamed on every call.
  // 0 = no cap: 85% of the free device memory less slack and the per-call work buffers.
  size_t gallery_cap_bytes = 0;
  // CUDA only: hash the SMHD v2 chunks of P on the device (enrollment copies back P and its digests;
  // from-bytes verification defers the checksum to the device). false: hash on the host, as the CPU does.
  bool cuda_chunk_hash_on_device = true;
  // CUDA, f16 galleries: identify on tensor cores (f16 P × the probes split into two f16 parts, FP32
  // accumulation). Its decisions equal the CPU's except where a probe's α-th and (α+1)-th |y| are
  // within the bound of cuda/gallery/split_product.hpp (~3·10⁻⁴·max|P||t| at n = 512). Off by default
  // until a GPU run has measured it; the default multiplies in f32, as the CPU does.
  bool identify_tensor_cores = false;
  ListDecoding list_decoding;  // off by default: the nearest codeword only
};

struct EnrollOptions {
  // INSECURE: derive every secret from this seed (DESIGN §3 deterministic mode; record flag bit 0).
  // For tests and benchmarks only.
  std::optional<std::array<uint8_t, 32>> insecure_seed;
  uint64_t first_index = 0;  // index of the first template of this call in the deterministic mode
                             // (enroll_groups: of the first group; group g uses first_index + g)
  // Templates averaged into each row (the v2 header's sample count, covered by the MAC); empty = 1 each.
  // Engine::enroll_groups fills it.
  std::span<const uint16_t> samples;
};

enum class Decision : uint8_t { Reject = 0, Accept = 1, Tampered = 2 };

struct KeyedDecision {
  Decision decision = Decision::Reject;
  SecretKey key;  // HKDF key for the context when decision == Accept, zeros otherwise
};

namespace detail { struct Codeword; }
namespace internal {
class BackendImpl;
class ResidentGallery;
struct EngineInternals;  // library-internal access to the backend (host/engine/engine_internals.hpp)
}  // namespace internal

// Records of one configuration and one P dtype held where the engine computes: on a CUDA engine the
// P matrices are uploaded to device memory once (streamed in chunks when they do not fit), so 1:N
// identification and repeated verification read them at memory bandwidth. The records are immutable
// inside a gallery, so each record's MAC is checked on its first match and the outcome remembered. Made by Engine::load_gallery
// and usable only with that engine.
class SPHEREMASK_API Gallery {
 public:
  ~Gallery();
  Gallery(const Gallery&) = delete;
  Gallery& operator=(const Gallery&) = delete;
  size_t size() const { return records_.size(); }
  const Record& record(size_t i) const { return records_.at(i); }

 private:
  friend class Engine;
  Gallery(std::vector<Record> records, std::unique_ptr<internal::ResidentGallery> resident,
          std::weak_ptr<const void> owner);
  std::vector<Record> records_;
  std::unique_ptr<internal::ResidentGallery> resident_;
  // The loading engine's token: expires with that engine, and no other engine holds the same one, even
  // one constructed later at the same address (a raw address could not tell them apart).
  std::weak_ptr<const void> owner_;
  // Per record: outcome of its MAC check (0 unknown, 1 authentic, 2 tampered), see Engine::verify.
  std::unique_ptr<std::atomic<uint8_t>[]> mac_memo_;
};

class SPHEREMASK_API Engine {
 public:
  Engine(const Params& params, std::unique_ptr<internal::BackendImpl> backend, const EngineOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const Params& params() const { return params_; }
  const EngineOptions& options() const { return options_; }
  Backend backend() const;
  std::string device_name() const;

  // templates: count × m float32, row-major. Returns one record per row.
  std::vector<Record> enroll(const float* templates, size_t count, const EnrollOptions& options = {});
  // Multi-sample enrollment: one record per group of consecutive rows (group g = the next group_sizes[g]
  // rows, all of one identity), made from the group's normalized mean (combine_groups); record.samples =
  // the samples used. A group of one row gives exactly enroll's record for that row. Deterministic mode:
  // group g uses the index first_index + g.
  GroupEnrollment enroll_groups(const float* templates, std::span<const uint32_t> group_sizes,
                                const EnrollOptions& options = {}, const CombineOptions& combine = {});
  // Probe i against record i. Accept only when the decoded codeword's verifier and the MAC match.
  // Records parsed with ParseOptions::defer_checksum are checked first (root over header and P,
  // hashed on the device when the backend can): Tampered on a mismatch.
  std::vector<Decision> verify(const float* probes, size_t count, std::span<const Record> records);
  // Whether this engine's verification checks a deferred checksum where P is anyway (the CUDA backend
  // hashes the P it uploads): then parsing with defer_checksum saves the host pass over P. On the CPU
  // it would only move that pass, so the answer is false (deferred records still verify correctly).
  bool defers_checksums() const;
  // As verify, and releases HKDF(enc(c), "spheremask/v1/key" ‖ context) for accepted pairs.
  std::vector<KeyedDecision> verify_and_derive(const float* probes, size_t count,
                                               std::span<const Record> records, std::string_view context);
  // As verify_and_derive, and for every accepted v1 record its v2 rewrite in upgraded[i]: the same
  // fields and P with the v2 checksum and a MAC under the key the probe released (a v2 MAC needs that
  // key, so there is no offline upgrade). Entries of rejected, tampered and v2 records stay empty.
  std::vector<KeyedDecision> verify_and_upgrade(const float* probes, size_t count, std::span<const Record> records,
                                                std::string_view context,
                                                std::vector<std::optional<Record>>& upgraded);
  // The server flow: probe i against serialized record i, which is validated exactly as Record::parse
  // does (Error{InvalidRecord} naming the record and the field; Error{Mismatch} as verify). Same decisions
  // as parse + verify. On the CPU a v2 record's P is read once and never copied: each run of chunks is
  // multiplied by the probe right after it was hashed, and the product counts only once the checksum held.
  std::vector<Decision> verify_serialized(const float* probes, size_t count,
                                          std::span<const std::span<const uint8_t>> blobs, bool allow_weak = false);
  // 1:N: for each probe, the indices of the gallery records that accept it (ascending).
  std::vector<std::vector<uint32_t>> identify(const float* probes, size_t count,
                                              std::span<const Record> gallery);

  // Multi-frame probes: `rows` = records.size() × frames.per_probe rows; probe i is rows
  // [i·k, (i+1)·k), claimed against record i. FrameRule::Mean verifies the frames' normalized mean;
  // FrameRule::AnyOf accepts when any frame is accepted (about k times the FAR), reports Tampered when any
  // frame matched a record whose MAC fails, and releases the key of an accepting frame.
  std::vector<Decision> verify_frames(const float* frames, size_t rows, std::span<const Record> records,
                                      const FrameOptions& frames_opt);
  std::vector<KeyedDecision> verify_and_derive_frames(const float* frames, size_t rows, std::span<const Record> records,
                                                      std::string_view context, const FrameOptions& frames_opt);
  // 1:N with k frames per probe: rows / k probes (rows must be a multiple of k). AnyOf: the union of the
  // records accepting any frame.
  std::vector<std::vector<uint32_t>> identify_frames(const float* frames, size_t rows, std::span<const Record> gallery,
                                                     const FrameOptions& frames_opt);

  // Places the records (all of this engine's configuration and one dtype) on the backend's device.
  std::unique_ptr<Gallery> load_gallery(std::vector<Record> records);
  // 1:N against a resident gallery: same result as identify(probes, count, records).
  std::vector<std::vector<uint32_t>> identify(const float* probes, size_t count, const Gallery& gallery);
  // Probe i against gallery record index[i] (P read from the resident copy).
  std::vector<Decision> verify(const float* probes, size_t count, const Gallery& gallery,
                               std::span<const uint32_t> index);
  std::vector<std::vector<uint32_t>> identify_frames(const float* frames, size_t rows, const Gallery& gallery,
                                                     const FrameOptions& frames_opt);

  // Normalized (and expanded, and application-bound) code-space vectors: count × n.
  std::vector<float> prepare(const float* templates, size_t count) const;

 private:
  friend struct internal::EngineInternals;
  // allow_pending: the caller settles a deferred checksum (per-call verification); everyone else refuses it.
  // holds_p = false: a record parsed without its P (parse_record_streaming), so P's size is not checked.
  void check_record(const Record& r, size_t index, bool allow_pending = false, bool holds_p = true) const;
  void check_gallery(const Gallery& g) const;
  // Called for each accepted pair (record index, matched codeword), possibly from several threads.
  using AcceptHook = std::function<void(size_t index, const detail::Codeword& c)>;
  // Probe i against *records[i].
  std::vector<KeyedDecision> verify_common(const float* probes, size_t count, const std::vector<const Record*>& records,
                                           const std::string_view* context, const AcceptHook* on_accept = nullptr);
  std::vector<KeyedDecision> verify_frames_common(const float* frames, size_t rows, std::span<const Record> records,
                                                  const std::string_view* context, const FrameOptions& frames_opt);
  // Decodes batch [start, start+bs) of prepared probes t: match flags and matched codewords.
  using BatchDecoder = std::function<void(size_t start, size_t bs, const float* t, uint8_t* match,
                                          detail::Codeword* matched)>;
  std::vector<KeyedDecision> verify_batches(const float* probes, size_t count, const std::vector<const Record*>& records,
                                            const std::string_view* context, const BatchDecoder& decode,
                                            std::atomic<uint8_t>* const* memos = nullptr,
                                            const AcceptHook* on_accept = nullptr);
  std::vector<std::vector<uint32_t>> identify_resident(const std::vector<float>& t, size_t count,
                                                       internal::ResidentGallery& resident,
                                                       std::span<const Record> records,
                                                       const std::vector<uint32_t>& where,
                                                       std::vector<std::vector<uint32_t>>& out,
                                                       std::atomic<uint8_t>* memos);

  Params params_;
  EngineOptions options_;
  std::unique_ptr<internal::BackendImpl> backend_;
  std::array<uint8_t, 32> expander_id_{};
  std::array<uint8_t, 32> app_id_{};
  std::vector<float> app_transform_;  // n×n S_app when an application key is set
  std::shared_ptr<const void> gallery_token_;  // identifies the galleries this engine loaded
};

SPHEREMASK_API std::unique_ptr<Engine> make_engine(const Params& params, Backend backend = Backend::Auto,
                                    const EngineOptions& options = {});

}  // namespace spheremask
