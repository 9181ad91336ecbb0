#include "crypto/sha256_lanes.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SPHEREMASK_SHA_LANES 1
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace spheremask::crypto {
namespace {

constexpr size_t kBlock = 64;

size_t job_length(const Sha256Job& j) {
  size_t len = 0;
  for (const auto& p : j.parts) len += p.size();
  return len;
}

void sha256_portable(const Sha256Job& j, Digest& out) {
  Sha256 h;
  for (const auto& p : j.parts) h.update(p.data(), p.size());
  out = h.final();
}

#ifdef SPHEREMASK_SHA_LANES

// Yields the padded message of one job block by block (FIPS 180-4 §5.1.1): a pointer straight into
// the caller's memory when a whole block lies inside one part, else a copy assembled in `staging`.
class BlockFeeder {
 public:
  void start(const Sha256Job& job) {
    job_ = &job;
    len_ = job_length(job);
    blocks_ = (len_ + 8) / kBlock + 1;
    next_ = 0;
    part_ = 0;
    part_off_ = 0;
  }
  bool done() const { return next_ == blocks_; }

  // How many of the next blocks lie whole inside the current part (hashed straight from memory).
  size_t direct_blocks() {
    const size_t off = next_ * kBlock;
    skip_exhausted_parts();
    if (off >= len_) return 0;
    return std::min((len_ - off) / kBlock, (job_->parts[part_].size() - part_off_) / kBlock);
  }
  const uint8_t* direct_pointer() const { return job_->parts[part_].data() + part_off_; }
  void skip_direct(size_t blocks) {
    next_ += blocks;
    part_off_ += blocks * kBlock;
  }

  const uint8_t* next(uint8_t* staging) {
    const size_t off = next_++ * kBlock;
    skip_exhausted_parts();
    if (off + kBlock <= len_ && job_->parts[part_].size() - part_off_ >= kBlock) {
      const uint8_t* p = job_->parts[part_].data() + part_off_;
      part_off_ += kBlock;
      return p;
    }
    const size_t have = off < len_ ? std::min(kBlock, len_ - off) : 0;
    copy_message(staging, have);
    for (size_t i = have; i < kBlock; ++i) staging[i] = off + i == len_ ? 0x80 : 0;
    if (done()) {
      const uint64_t bits = uint64_t(len_) * 8;
      for (int i = 0; i < 8; ++i) staging[kBlock - 1 - i] = uint8_t(bits >> (8 * i));
    }
    return staging;
  }

 private:
  void skip_exhausted_parts() {
    while (part_ < job_->parts.size() && part_off_ == job_->parts[part_].size()) {
      ++part_;
      part_off_ = 0;
    }
    if (part_ == job_->parts.size()) {  // all consumed: rest at the end of the last part
      part_ = job_->parts.size() - 1;
      part_off_ = job_->parts[part_].size();
    }
  }
  void copy_message(uint8_t* dst, size_t count) {
    while (count > 0) {
      skip_exhausted_parts();
      const size_t take = std::min(count, job_->parts[part_].size() - part_off_);
      std::memcpy(dst, job_->parts[part_].data() + part_off_, take);
      dst += take;
      count -= take;
      part_off_ += take;
    }
  }

  const Sha256Job* job_ = nullptr;
  size_t len_ = 0, blocks_ = 0, next_ = 0, part_ = 0, part_off_ = 0;
};

alignas(16) constexpr uint32_t kRound[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

// The SHA extensions keep the eight state words as two vectors, (A,B,E,F) and (C,D,G,H).
struct LaneState {
  __m128i abef, cdgh;
};

#define SM_SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

SM_SHA_TARGET LaneState initial_state() {
  alignas(16) static const uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                            0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  const __m128i dcba = _mm_shuffle_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(h)), 0xB1);
  const __m128i efgh = _mm_shuffle_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(h + 4)), 0x1B);
  return {_mm_alignr_epi8(dcba, efgh, 8), _mm_blend_epi16(efgh, dcba, 0xF0)};
}

SM_SHA_TARGET void store_digest(const LaneState& s, Digest& out) {
  const __m128i feba = _mm_shuffle_epi32(s.abef, 0x1B);
  const __m128i dchg = _mm_shuffle_epi32(s.cdgh, 0xB1);
  alignas(16) uint32_t h[8];
  _mm_store_si128(reinterpret_cast<__m128i*>(h), _mm_blend_epi16(feba, dchg, 0xF0));
  _mm_store_si128(reinterpret_cast<__m128i*>(h + 4), _mm_alignr_epi8(dchg, feba, 8));
  for (int i = 0; i < 8; ++i)
    for (int k = 0; k < 4; ++k) out[4 * i + k] = uint8_t(h[i] >> (24 - 8 * k));
  OPENSSL_cleanse(h, sizeof h);
}

// One 64-byte block for each of L independent messages. The lane loops are innermost so consecutive
// sha256rnds2 instructions belong to different messages and overlap in the pipeline.
template <int L>
SM_SHA_TARGET __attribute__((always_inline)) inline void compress(LaneState* s, const uint8_t* const* block) {
  const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i w[L][4];
  LaneState saved[L];
#pragma GCC unroll 8
  for (int l = 0; l < L; ++l) saved[l] = s[l];
#pragma GCC unroll 16
  for (int g = 0; g < 16; ++g) {  // rounds 4g … 4g+3
    const __m128i k = _mm_load_si128(reinterpret_cast<const __m128i*>(kRound + 4 * g));
#pragma GCC unroll 8
    for (int l = 0; l < L; ++l) {
      __m128i m;
      if (g < 4) {
        m = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block[l] + 16 * g)), byteswap);
      } else {  // message schedule: w[g] from w[g-4], w[g-3], w[g-2], w[g-1]
        __m128i x = _mm_sha256msg1_epu32(w[l][g & 3], w[l][(g + 1) & 3]);
        x = _mm_add_epi32(x, _mm_alignr_epi8(w[l][(g + 3) & 3], w[l][(g + 2) & 3], 4));
        m = _mm_sha256msg2_epu32(x, w[l][(g + 3) & 3]);
      }
      w[l][g & 3] = m;
      const __m128i km = _mm_add_epi32(m, k);
      s[l].cdgh = _mm_sha256rnds2_epu32(s[l].cdgh, s[l].abef, km);
      s[l].abef = _mm_sha256rnds2_epu32(s[l].abef, s[l].cdgh, _mm_shuffle_epi32(km, 0x0E));
    }
  }
#pragma GCC unroll 8
  for (int l = 0; l < L; ++l) {
    s[l].abef = _mm_add_epi32(s[l].abef, saved[l].abef);
    s[l].cdgh = _mm_add_epi32(s[l].cdgh, saved[l].cdgh);
  }
}

SM_SHA_TARGET void compress_active(int active, LaneState* s, const uint8_t* const* block) {
  switch (active) {
    case 8: compress<8>(s, block); break;
    case 7: compress<7>(s, block); break;
    case 6: compress<6>(s, block); break;
    case 5: compress<5>(s, block); break;
    case 4: compress<4>(s, block); break;
    case 3: compress<3>(s, block); break;
    case 2: compress<2>(s, block); break;
    default: compress<1>(s, block); break;
  }
}

// `blocks` consecutive in-memory blocks for each of L lanes: the hot loop, state kept in registers.
template <int L>
SM_SHA_TARGET void compress_run(LaneState* s, const uint8_t* const* base, size_t blocks) {
  LaneState local[L];
  for (int l = 0; l < L; ++l) local[l] = s[l];
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* block[L];
    for (int l = 0; l < L; ++l) block[l] = base[l] + b * kBlock;
    compress<L>(local, block);
  }
  for (int l = 0; l < L; ++l) s[l] = local[l];
  OPENSSL_cleanse(local, sizeof local);
}

SM_SHA_TARGET void compress_run_active(int active, LaneState* s, const uint8_t* const* base, size_t blocks) {
  switch (active) {
    case 8: compress_run<8>(s, base, blocks); break;
    case 7: compress_run<7>(s, base, blocks); break;
    case 6: compress_run<6>(s, base, blocks); break;
    case 5: compress_run<5>(s, base, blocks); break;
    case 4: compress_run<4>(s, base, blocks); break;
    case 3: compress_run<3>(s, base, blocks); break;
    case 2: compress_run<2>(s, base, blocks); break;
    default: compress_run<1>(s, base, blocks); break;
  }
}

// Up to kLanes jobs in flight; a lane that finishes takes the next job, and the step hashes only the
// lanes that still have blocks (gathered into a dense array), so no work is wasted on idle lanes.
template <int kLanes>
SM_SHA_TARGET void sha256_lanes(std::span<const Sha256Job> jobs, Digest* out) {
  BlockFeeder feeder[kLanes];
  LaneState state[kLanes];
  size_t job_of[kLanes];
  bool busy[kLanes] = {};
  alignas(16) uint8_t staging[kLanes][kBlock];
  LaneState dense[kLanes];
  size_t next_job = 0;
  auto refill = [&](int l) {
    busy[l] = next_job < jobs.size();
    if (!busy[l]) return;
    job_of[l] = next_job++;
    feeder[l].start(jobs[job_of[l]]);
    state[l] = initial_state();
  };
  for (int l = 0; l < kLanes; ++l) refill(l);
  for (;;) {
    int lane_at[kLanes], active = 0;
    const uint8_t* block[kLanes];
    size_t run = SIZE_MAX;
    for (int l = 0; l < kLanes; ++l) {
      if (!busy[l]) continue;
      lane_at[active] = l;
      dense[active] = state[l];
      run = std::min(run, feeder[l].direct_blocks());
      ++active;
    }
    if (active == 0) break;
    if (run > 0) {  // every busy lane has whole blocks in memory: hash a long run in one go
      for (int a = 0; a < active; ++a) block[a] = feeder[lane_at[a]].direct_pointer();
      compress_run_active(active, dense, block, run);
      for (int a = 0; a < active; ++a) {
        feeder[lane_at[a]].skip_direct(run);
        state[lane_at[a]] = dense[a];
      }
      continue;
    }
    for (int a = 0; a < active; ++a) block[a] = feeder[lane_at[a]].next(staging[a]);
    compress_active(active, dense, block);
    for (int a = 0; a < active; ++a) {
      const int l = lane_at[a];
      state[l] = dense[a];
      if (feeder[l].done()) {
        store_digest(state[l], out[job_of[l]]);
        refill(l);
      }
    }
  }
  // Keyed (HMAC) blocks and states are as secret as the key.
  OPENSSL_cleanse(dense, sizeof dense);
  OPENSSL_cleanse(state, sizeof state);
  OPENSSL_cleanse(staging, sizeof staging);
}

bool cpu_has_sha_extensions() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  const bool ssse3 = c & (1u << 9), sse41 = c & (1u << 19);
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  const bool sha = b & (1u << 29);
  return ssse3 && sse41 && sha;
}

#endif  // SPHEREMASK_SHA_LANES

}  // namespace

bool sha256_lanes_available() {
#ifdef SPHEREMASK_SHA_LANES
  static const bool available = cpu_has_sha_extensions();
  return available;
#else
  return false;
#endif
}

void sha256_many(std::span<const Sha256Job> jobs, Digest* out, HashImpl impl) {
#ifdef SPHEREMASK_SHA_LANES
  if (impl != HashImpl::Portable && sha256_lanes_available() && jobs.size() > 1) {
    if (impl == HashImpl::Lanes8)
      sha256_lanes<8>(jobs, out);
    else
      sha256_lanes<4>(jobs, out);
    return;
  }
#endif
  for (size_t i = 0; i < jobs.size(); ++i) sha256_portable(jobs[i], out[i]);
}

// HMAC (RFC 2104) with a 32-byte key: inner = H((K⊕ipad) ‖ m), mac = H((K⊕opad) ‖ inner).
void hmac_sha256_many(std::span<const HmacJob> jobs, Digest* out, HashImpl impl) {
  const size_t count = jobs.size();
  std::vector<uint8_t> pads(count * 2 * kBlock);
  std::vector<Digest> inner(count);
  std::vector<Sha256Job> work(count);
  for (size_t i = 0; i < count; ++i) {
    uint8_t* ipad = pads.data() + 2 * kBlock * i;
    uint8_t* opad = ipad + kBlock;
    std::memset(ipad, 0x36, kBlock);
    std::memset(opad, 0x5c, kBlock);
    for (size_t k = 0; k < 32; ++k) {
      ipad[k] ^= jobs[i].key[k];
      opad[k] ^= jobs[i].key[k];
    }
    work[i].parts = {std::span<const uint8_t>(ipad, kBlock), jobs[i].a, jobs[i].b};
  }
  sha256_many(work, inner.data(), impl);
  for (size_t i = 0; i < count; ++i)
    work[i].parts = {std::span<const uint8_t>(pads.data() + 2 * kBlock * i + kBlock, kBlock),
                     std::span<const uint8_t>(inner[i]), {}};
  sha256_many(work, out, impl);
  OPENSSL_cleanse(pads.data(), pads.size());
  OPENSSL_cleanse(inner.data(), inner.size() * sizeof(Digest));
}

}  // namespace spheremask::crypto
