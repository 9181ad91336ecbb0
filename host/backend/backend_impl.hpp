// Internal interface between the Engine (validation, batching, key flow) and a backend that does
// the arithmetic. Shared by host/ and cuda/; not installed.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "spheremask/detail/codeword.hpp"
#include "spheremask/engine.hpp"
#include "spheremask/expander.hpp"

namespace spheremask::internal {

struct EnrollItem {
  const float* u;                // unit code-space template, n floats
  const uint8_t* key_q;          // 32-byte ChaCha20 key of the Haar matrix
  const detail::Codeword* c;     // target codeword
  uint8_t* p_out;                // n·n elements of the record's dtype, row-major
  // SMHD v2 chunk digests of P (digest_chunk_count(p bytes) of them), filled by backends whose
  // hashes_chunks() is true, for items whose status is Ok; null: not wanted.
  std::array<uint8_t, 32>* digests_out = nullptr;
};

enum EnrollStatus : uint8_t { kEnrollOk = 0, kEnrollDegenerate = 1, kEnrollCheckFailed = 2 };

struct VerifyItem {
  const uint8_t* p;              // record's P (dtype), row-major
  const float* probe;            // unit code-space probe, n floats
  const uint8_t* salt;           // 16 bytes
  const uint8_t* verifier;       // 32 bytes
  // As EnrollItem::digests_out: the chunk digests of the P this call verified with, when the backend
  // hashes_chunks() (a record whose checksum parse deferred); null: not wanted.
  std::array<uint8_t, 32>* digests_out = nullptr;
};

struct GalleryItem {
  const uint8_t* p;
  const uint8_t* salt;
  const uint8_t* verifier;
};

struct IdentifyHit {
  uint32_t record;
  uint32_t probe;
  detail::Codeword codeword;
};

// P matrices of a gallery placed where the backend computes. The default (host) implementation keeps
// pointers into the caller's records and forwards to the backend's per-call methods.
class ResidentGallery {
 public:
  virtual ~ResidentGallery() = default;
  // Every (record, probe) verifier match, sorted (probe, record). probes: count × n unit rows.
  virtual std::vector<IdentifyHit> identify(const float* probes, size_t probe_count, uint32_t alpha) = 0;
  // Probe i against gallery record index[i]; as BackendImpl::verify.
  virtual void verify(const float* probes, const uint32_t* index, size_t count, uint32_t alpha, uint8_t* match,
                      detail::Codeword* matched) = 0;
};

class BackendImpl {
 public:
  virtual ~BackendImpl() = default;
  virtual Backend kind() const = 0;
  virtual std::string device_name() const = 0;

  // P = R(Q u -> c)·Q with Q = Haar(key_q) (Stewart's method, sign-fixed), checked ‖P u − c‖∞ < 1e-4
  // in f32 before conversion to dtype. status[i] per EnrollStatus.
  virtual void enroll(std::span<const EnrollItem> items, uint32_t n, Dtype dtype, uint8_t* status) = 0;

  // y = P·probe, decode (α largest |y_i|), verifier compare in constant time. match[i] = 1 on a
  // verifier match, and then matched[i] holds the codeword (the caller checks the MAC and wipes it).
  virtual void verify(std::span<const VerifyItem> items, uint32_t n, uint32_t alpha, Dtype dtype,
                      uint8_t* match, detail::Codeword* matched) = 0;

  // Every (record, probe) pair whose decoded verifier matches, in (probe, record) ascending order.
  virtual std::vector<IdentifyHit> identify(std::span<const GalleryItem> gallery, const float* probes,
                                            size_t probe_count, uint32_t n, uint32_t alpha, Dtype dtype) = 0;

  // Places the gallery (all items of dtype) for repeated identify/verify. The items' memory stays valid
  // for the gallery's lifetime. Default: host-resident (see host_gallery.cpp).
  virtual std::unique_ptr<ResidentGallery> make_gallery(std::span<const GalleryItem> items, uint32_t n, Dtype dtype);

  // The template expander's forward where this backend computes (in: count × m unit rows, out: count × n
  // unit rows). Default: the expander's own forward on the CPU.
  virtual void expand(const Expander& e, const float* in, size_t count, float* out) { e.forward(in, count, out); }

  // Whether enroll and verify fill the items' digests_out (SMHD v2 chunk digests of P, hashed where P
  // is: on the device). When false the engine hashes P's chunks on the host (format::chunk_digests).
  virtual bool hashes_chunks() const { return false; }

  // Haar Q (row-major n×n, f32) from key: for cross-backend tests and benchmarks.
  virtual void haar(const uint8_t key[32], uint32_t n, float* q) = 0;
  // Gaussian stream elements [first, first+count) of key (DESIGN §3).
  virtual void gaussian(const uint8_t key[32], uint64_t first, size_t count, float* out) = 0;
};

std::unique_ptr<BackendImpl> make_cpu_backend(const EngineOptions& options);
// Defined in cuda/ when the CUDA backend is compiled in; throws Error{Unavailable} otherwise.
std::unique_ptr<BackendImpl> make_cuda_backend(const EngineOptions& options);
int cuda_device_count_impl();

}  // namespace spheremask::internal
