#include "spheremask/record.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "crypto/crypto.hpp"
#include "format/chunk_digests.hpp"
#include "format/digest_tree.hpp"
#include "util/parallel.hpp"
#include "format/record_batch.hpp"
#include "spheremask/detail/codeword.hpp"
#include "spheremask/detail/half.hpp"
#include "spheremask/error.hpp"

namespace spheremask {
namespace {

constexpr uint8_t kMagic[4] = {'S', 'M', 'H', 'D'};
static_assert(kRecordChunkBytes == format::kChunkBytes);

struct Writer {
  uint8_t* p;
  void bytes(const void* src, size_t n) { std::memcpy(p, src, n); p += n; }
  void u8(uint8_t v) { *p++ = v; }
  void u16(uint16_t v) { u8(uint8_t(v)); u8(uint8_t(v >> 8)); }
  void u32(uint32_t v) { u16(uint16_t(v)); u16(uint16_t(v >> 16)); }
};

struct Reader {
  const uint8_t* p;
  void bytes(void* dst, size_t n) { std::memcpy(dst, p, n); p += n; }
  uint8_t u8() { return *p++; }
  uint16_t u16() { const uint16_t lo = u8(); return uint16_t(lo | (uint16_t(u8()) << 8)); }
  uint32_t u32() { const uint32_t lo = u16(); return lo | (uint32_t(u16()) << 16); }
};

[[noreturn]] void invalid(const std::string& field, const std::string& why) {
  throw Error(ErrorCode::InvalidRecord, "record field '" + field + "': " + why);
}

std::vector<crypto::Digest> digests_of(std::span<const uint8_t> p, int threads) {
  std::vector<crypto::Digest> d(format::chunk_count(p.size()));
  format::chunk_digests(p, d.data(), threads);
  return d;
}

// Index of the first word of p[0..count) whose exponent bits are all set (Inf or NaN), or SIZE_MAX. A
// branch-free OR over the whole range first (it vectorizes); the index only when something is found.
// Words are read in host order, which is the format's little-endian order (asserted below).
static_assert(std::endian::native == std::endian::little, "P's words are read in host order");
template <typename Word, Word kExponent>
size_t first_all_ones_exponent(const uint8_t* p, size_t count) {
  auto word = [p](size_t i) {
    Word w;
    std::memcpy(&w, p + sizeof(Word) * i, sizeof(Word));
    return w;
  };
  uint32_t seen = 0;
  for (size_t i = 0; i < count; ++i) seen |= uint32_t((word(i) & kExponent) == kExponent);
  if (seen == 0) return SIZE_MAX;
  for (size_t i = 0; i < count; ++i)
    if ((word(i) & kExponent) == kExponent) return i;
  return SIZE_MAX;
}

// Index of the first non-finite entry of P (bytes of dtype d, little-endian), or SIZE_MAX.
size_t first_non_finite(const uint8_t* p, size_t bytes, Dtype d) {
  return d == Dtype::F32 ? first_all_ones_exponent<uint32_t, 0x7f800000u>(p, bytes / 4)
                         : first_all_ones_exponent<uint16_t, uint16_t(0x7c00u)>(p, bytes / 2);
}

constexpr size_t kGroupChunks = 8;  // 128 KiB of P: stays in L2 between hashing, scanning and the caller's use

// Hashes one group of whole chunks of a v2 record's P (chunk index first_chunk on) into rec.p_digests
// and scans it; returns the index (within the group) of its first non-finite entry or SIZE_MAX.
size_t hash_scan_group(std::span<const uint8_t> group, size_t first_chunk, Record& rec, crypto::HashImpl impl) {
  format::chunk_digests(group, rec.p_digests.data() + first_chunk, 1, impl);
  return first_non_finite(group.data(), group.size(), rec.dtype);
}

// One pass over a v2 record's P instead of three: each group of chunks is copied into rec.p, hashed
// from that cache-hot copy and scanned for non-finite entries there. Fills rec.p_digests; returns the
// first non-finite entry's index or SIZE_MAX.
size_t copy_hash_scan(std::span<const uint8_t> src, Record& rec, int threads) {
  const size_t chunks = rec.p_digests.size();
  const size_t groups = (chunks + kGroupChunks - 1) / kGroupChunks;
  const crypto::HashImpl impl = format::fastest_chunk_hasher();
  const int allowed = threads > 0 ? threads : (src.size() >= (size_t(4) << 20) ? internal::resolve_threads(0) : 1);
  const int workers = int(std::min<size_t>(size_t(allowed), std::max<size_t>(1, groups / 8)));
  const size_t elem = dtype_size(rec.dtype);
  std::vector<size_t> first_bad(size_t(std::max(workers, 1)), SIZE_MAX);
  internal::parallel_for(groups, workers, [&](size_t b, size_t e, int w) {
    for (size_t g = b; g < e; ++g) {
      const size_t off = g * kGroupChunks * format::kChunkBytes;
      const size_t len = std::min(kGroupChunks * format::kChunkBytes, src.size() - off);
      uint8_t* dst = rec.p.data() + off;
      std::memcpy(dst, src.data() + off, len);
      const size_t bad = hash_scan_group({dst, len}, g * kGroupChunks, rec, impl);
      if (bad != SIZE_MAX && first_bad[size_t(w)] == SIZE_MAX) first_bad[size_t(w)] = off / elem + bad;
    }
  });
  return *std::min_element(first_bad.begin(), first_bad.end());
}

// The streaming form, on one thread: each group is hashed and scanned straight from the caller's bytes
// and then handed to on_run while it is still in cache; nothing is copied.
size_t stream_hash_scan(std::span<const uint8_t> src, Record& rec, const internal::PRunSink& on_run) {
  const crypto::HashImpl impl = format::fastest_chunk_hasher();
  const size_t elem = dtype_size(rec.dtype);
  const size_t group_bytes = kGroupChunks * format::kChunkBytes;
  size_t first_bad = SIZE_MAX;
  for (size_t off = 0, g = 0; off < src.size(); off += group_bytes, ++g) {
    const auto run = src.subspan(off, std::min(group_bytes, src.size() - off));
    const size_t bad = hash_scan_group(run, g * kGroupChunks, rec, impl);
    if (bad != SIZE_MAX && first_bad == SIZE_MAX) first_bad = off / elem + bad;
    on_run(rec, off, run);
  }
  return first_bad;
}

// Every field before P, validated, and the byte count checked against n and the dtype: the part of the
// parse that both the copying and the streaming parse share.
Record parse_fields(std::span<const uint8_t> bytes, bool allow_weak) {
  if (bytes.size() < 4) invalid("magic", "truncated record (" + std::to_string(bytes.size()) + " bytes)");
  if (std::memcmp(bytes.data(), kMagic, 4) != 0) invalid("magic", "not an SMHD record");
  if (bytes.size() < 6) invalid("version", "truncated record (" + std::to_string(bytes.size()) + " bytes)");
  Reader r{bytes.data() + 4};
  Record rec;
  rec.version = r.u16();
  if (rec.version != kRecordVersion1 && rec.version != kRecordVersion2)
    invalid("version", "unsupported version " + std::to_string(rec.version));
  const bool v1 = rec.version == kRecordVersion1;
  const size_t min_size = rec.header_size() + kRecordTrailerSize;
  if (bytes.size() < min_size)
    invalid("size", "truncated record (" + std::to_string(bytes.size()) + " bytes, header and trailer need " +
                        std::to_string(min_size) + ")");
  rec.flags = r.u16();
  if (rec.flags & ~kFlagDeterministic) invalid("flags", "unknown flag bits set");
  rec.m = r.u32();
  rec.n = r.u32();
  rec.alpha = r.u16();
  const uint8_t dtype = r.u8();
  rec.hash_alg = r.u8();
  if (rec.n < 2 || rec.n > detail::kMaxN) invalid("n", std::to_string(rec.n) + " is outside 2..16384");
  if (rec.m < 1 || rec.m > detail::kMaxN) invalid("m", std::to_string(rec.m) + " is outside 1..16384");
  if (rec.alpha < 1 || rec.alpha >= rec.n || rec.alpha > uint32_t(detail::kMaxAlpha))
    invalid("alpha", std::to_string(rec.alpha) + " is outside 1..min(64, n-1)");
  if (dtype > 1) invalid("dtype", "unknown P dtype " + std::to_string(dtype));
  rec.dtype = Dtype(dtype);
  const uint8_t want_alg = v1 ? kHashSha256 : kHashDigestTree;
  if (rec.hash_alg != want_alg)
    invalid("hash_alg", "hash algorithm " + std::to_string(rec.hash_alg) + " in a version " + std::to_string(rec.version) +
                            " record (expected " + std::to_string(want_alg) + ")");
  if (!v1) {
    rec.samples = r.u16();
    if (rec.samples == 0) invalid("samples", "0 templates averaged (at least 1)");
    const uint16_t reserved = r.u16();
    if (reserved != 0) invalid("reserved", "must be 0, is " + std::to_string(reserved));
  }
  if (!allow_weak && code_bits(rec.n, rec.alpha) < kMinBits)
    invalid("alpha", "code C(" + std::to_string(rec.n) + ", " + std::to_string(rec.alpha) + ") is under 80 bits");
  if (bytes.size() != rec.serialized_size())
    invalid("size", std::to_string(bytes.size()) + " bytes, but n = " + std::to_string(rec.n) + " and dtype need " +
                        std::to_string(rec.serialized_size()));
  r.bytes(rec.expander_id.data(), 32);
  r.bytes(rec.app_id.data(), 32);
  r.bytes(rec.salt.data(), 16);
  r.bytes(rec.verifier.data(), 32);
  return rec;
}

[[noreturn]] void refuse_pending(const char* use) {
  throw Error(ErrorCode::InvalidRecord, std::string("record field 'checksum': pending (parsed with defer_checksum); ") +
                                            use + " needs a record whose checksum was checked: parse it without defer_checksum");
}

}  // namespace

// The one writer of the pending state (Record's private members).
struct RecordParser {
  static void mark_pending(Record& r, const uint8_t* root) {
    r.checksum_pending_ = true;
    std::memcpy(r.pending_checksum_.data(), root, 32);
  }
};

std::vector<uint8_t> Record::header() const {
  std::vector<uint8_t> h(header_size());
  Writer w{h.data()};
  w.bytes(kMagic, 4);
  w.u16(version);
  w.u16(flags);
  w.u32(m);
  w.u32(n);
  w.u16(uint16_t(alpha));
  w.u8(uint8_t(dtype));
  w.u8(hash_alg);
  if (version != kRecordVersion1) {
    w.u16(samples);
    w.u16(0);  // reserved
  }
  w.bytes(expander_id.data(), 32);
  w.bytes(app_id.data(), 32);
  w.bytes(salt.data(), 16);
  w.bytes(verifier.data(), 32);
  return h;
}

void Record::update_digests() {
  if (version == kRecordVersion1)
    p_digests.clear();
  else
    p_digests = digests_of(p, 0);
}

std::array<uint8_t, 32> Record::checksum() const {
  if (checksum_pending_) refuse_pending("checksum()");
  const auto h = header();
  if (version == kRecordVersion1) return crypto::Sha256().update(h).update(p).final();
  if (p_digests.size() == chunk_count()) return format::digest_tree_root(h, p_digests);
  return format::digest_tree_root(h, digests_of(p, 0));
}

std::vector<uint8_t> Record::serialize() const {
  if (checksum_pending_) refuse_pending("serialize()");
  if (p.size() != p_bytes())
    throw Error(ErrorCode::InvalidArgument, "record P holds " + std::to_string(p.size()) + " bytes, expected " +
                                                std::to_string(p_bytes()));
  if (version != kRecordVersion1 && version != kRecordVersion2)
    throw Error(ErrorCode::InvalidArgument, "record version " + std::to_string(version) + " is not 1 or 2");
  const uint8_t want_alg = version == kRecordVersion1 ? kHashSha256 : kHashDigestTree;
  if (hash_alg != want_alg)
    throw Error(ErrorCode::InvalidArgument, "record hash_alg " + std::to_string(hash_alg) + " does not belong to version " +
                                                std::to_string(version));
  if (version == kRecordVersion2 && samples == 0)
    throw Error(ErrorCode::InvalidArgument, "record samples is 0 (at least one template is averaged)");
  std::vector<uint8_t> out(serialized_size());
  const auto h = header();
  std::memcpy(out.data(), h.data(), h.size());
  std::memcpy(out.data() + h.size(), p.data(), p.size());
  const size_t body = h.size() + p.size();
  const auto sum = checksum();
  std::memcpy(out.data() + body, sum.data(), 32);
  std::memcpy(out.data() + body + 32, mac.data(), 32);
  return out;
}

Record Record::parse(std::span<const uint8_t> bytes, bool allow_weak) {
  return internal::parse_record(bytes, allow_weak, nullptr, 0);
}

Record Record::parse(std::span<const uint8_t> bytes, const ParseOptions& options) {
  return internal::parse_record(bytes, options.allow_weak, nullptr, 0, options.defer_checksum);
}

namespace {

// The checks after P's pass, in the order every parse reports them: checksum first, then finiteness.
void finish_parse(std::span<const uint8_t> bytes, Record& rec, const crypto::Digest& checksum, size_t bad_entry) {
  const size_t body = rec.header_size() + rec.p_bytes();
  if (!crypto::equal_ct(checksum.data(), bytes.data() + body, 32))
    invalid("checksum", rec.version == kRecordVersion1 ? "SHA-256 mismatch: the record is corrupted"
                                                       : "digest-tree root mismatch: the record is corrupted");
  std::memcpy(rec.mac.data(), bytes.data() + body + 32, 32);
  if (bad_entry != SIZE_MAX) invalid("P", "non-finite entry at index " + std::to_string(bad_entry));
}

}  // namespace

Record internal::parse_record(std::span<const uint8_t> bytes, bool allow_weak, const crypto::Digest* body_sha256,
                              int hash_threads, bool defer_checksum) {
  Record rec = parse_fields(bytes, allow_weak);
  const size_t header_size = rec.header_size();
  const auto p_span = bytes.subspan(header_size, rec.p_bytes());
  crypto::Digest checksum;
  size_t bad_entry = SIZE_MAX;
  if (rec.version == kRecordVersion1) {
    checksum = body_sha256 ? *body_sha256 : crypto::sha256(bytes.first(header_size + rec.p_bytes()));
    rec.p.assign(p_span.begin(), p_span.end());
    bad_entry = first_non_finite(rec.p.data(), rec.p.size(), rec.dtype);
  } else if (defer_checksum) {
    // Copy and finiteness scan only; the engine checks the root where P gets hashed anyway.
    rec.p.assign(p_span.begin(), p_span.end());
    bad_entry = first_non_finite(rec.p.data(), rec.p.size(), rec.dtype);
    const size_t body = header_size + rec.p_bytes();
    std::memcpy(rec.mac.data(), bytes.data() + body + 32, 32);
    if (bad_entry != SIZE_MAX) invalid("P", "non-finite entry at index " + std::to_string(bad_entry));
    RecordParser::mark_pending(rec, bytes.data() + body);
    return rec;
  } else {
    rec.p.resize(p_span.size());
    rec.p_digests.resize(rec.chunk_count());
    bad_entry = copy_hash_scan(p_span, rec, hash_threads);
    checksum = format::digest_tree_root(bytes.first(header_size), rec.p_digests);
  }
  finish_parse(bytes, rec, checksum, bad_entry);
  return rec;
}

Record internal::parse_record_streaming(std::span<const uint8_t> bytes, bool allow_weak, const PRunSink& on_run) {
  Record rec = parse_fields(bytes, allow_weak);
  const size_t header_size = rec.header_size();
  if (rec.version == kRecordVersion1) {  // a v1 MAC covers P itself: the record keeps its copy
    rec = parse_record(bytes, allow_weak, nullptr, 1);
    on_run(rec, 0, rec.p);
    return rec;
  }
  rec.p_digests.resize(rec.chunk_count());
  const size_t bad_entry = stream_hash_scan(bytes.subspan(header_size, rec.p_bytes()), rec, on_run);
  finish_parse(bytes, rec, format::digest_tree_root(bytes.first(header_size), rec.p_digests), bad_entry);
  return rec;
}

}  // namespace spheremask
