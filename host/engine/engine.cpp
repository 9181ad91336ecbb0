#include "spheremask/engine.hpp"

#include <cblas.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <string>

#include "backend/backend_impl.hpp"
#include "crypto/crypto.hpp"
#include "format/chunk_digests.hpp"
#include "format/pending_checksum.hpp"
#include "format/record_upgrade.hpp"
#include "crypto/keyflow.hpp"
#include "decode/list_decode.hpp"
#include "util/parallel.hpp"
#include "format/record_pointers.hpp"
#include "spheremask/error.hpp"
#include "spheremask/expander.hpp"
#include "engine/template_prep.hpp"

namespace spheremask {

using internal::BackendImpl;

const char* backend_name(Backend b) {
  switch (b) {
    case Backend::Auto: return "auto";
    case Backend::Cpu: return "cpu";
    case Backend::Cuda: return "cuda";
  }
  return "unknown";
}

Backend parse_backend(std::string_view name) {
  if (name == "auto") return Backend::Auto;
  if (name == "cpu") return Backend::Cpu;
  if (name == "cuda") return Backend::Cuda;
  throw Error(ErrorCode::InvalidArgument, "unknown backend '" + std::string(name) + "' (cpu, cuda or auto)");
}

int cuda_device_count() { return internal::cuda_device_count_impl(); }

namespace {

// Enum fields may hold any value of their underlying type (a cast from a C caller's int).
void validate(const EngineOptions& o) {
  const auto haar = unsigned(o.cuda_haar);
  if (haar > unsigned(CudaHaar::Wy))
    throw Error(ErrorCode::InvalidArgument,
                "EngineOptions.cuda_haar: unknown value " + std::to_string(haar) + " (Auto, Orgqr or Wy)");
  internal::validate_list_decoding(o.list_decoding);
}

// List decoding runs on the CPU backend only (its walk is serial and data-dependent per probe).
void refuse_list_decoding_off_cpu(const EngineOptions& o, Backend backend) {
  if (o.list_decoding.enabled() && backend != Backend::Cpu)
    throw Error(ErrorCode::InvalidArgument,
                "EngineOptions.list_decoding: list decoding runs on the CPU backend only (enroll on the GPU with "
                "another engine; the records are the same)");
}

}  // namespace

std::unique_ptr<Engine> make_engine(const Params& params, Backend backend, const EngineOptions& options) {
  validate(params);
  validate(options);
  if (backend == Backend::Auto)
    backend = !options.list_decoding.enabled() && cuda_device_count() > 0 ? Backend::Cuda : Backend::Cpu;
  // Before the backend is made, so the conflict is reported alike on builds and machines without CUDA.
  refuse_list_decoding_off_cpu(options, backend);
  auto impl = backend == Backend::Cuda ? internal::make_cuda_backend(options) : internal::make_cpu_backend(options);
  return std::make_unique<Engine>(params, std::move(impl), options);
}

Engine::Engine(const Params& params, std::unique_ptr<BackendImpl> backend, const EngineOptions& options)
    : params_(params), options_(options), backend_(std::move(backend)), gallery_token_(std::make_shared<char>()) {
  validate(params_);
  validate(options_);
  refuse_list_decoding_off_cpu(options_, backend_->kind());
  if (params_.expander) expander_id_ = params_.expander->id();
  if (params_.app_key) {
    app_id_ = internal::app_id(*params_.app_key);
    app_transform_ = internal::app_transform(*backend_, *params_.app_key, params_.n);
  }
}

Engine::~Engine() {
  if (params_.app_key) secure_zero(params_.app_key->data(), params_.app_key->size());
  if (!app_transform_.empty()) secure_zero(app_transform_.data(), app_transform_.size() * sizeof(float));
}

Backend Engine::backend() const { return backend_->kind(); }
std::string Engine::device_name() const { return backend_->device_name(); }

std::vector<float> Engine::prepare(const float* templates, size_t count) const {
  return internal::prepare_templates(*backend_, params_, app_transform_, templates, count, 0,
                                     internal::resolve_threads(options_.threads));
}

namespace {

size_t batch_of(const EngineOptions& o) { return o.batch_size ? o.batch_size : 1024; }

struct EnrollSecrets {
  crypto::Digest key_q{};
  detail::Codeword c{};
  ~EnrollSecrets() {
    secure_zero(key_q.data(), key_q.size());
    c.wipe();
  }
};

}  // namespace

std::vector<Record> Engine::enroll(const float* templates, size_t count, const EnrollOptions& options) {
  // Refused here rather than in validate(): engines without a key must still verify the records
  // already made this way.
  if (params_.expander && !params_.app_key && !params_.allow_weak)
    throw Error(ErrorCode::WeakParameters,
                "enrolling through a template expander without an application key is refused: such records fall to "
                "structural inversion (`spheremask attack invert`) in seconds; set an application key "
                "(CLI --app-key-file, Python app_key=, C sm_params_set_app_key), or allow_weak / --allow-weak to accept "
                "the risk");
  if (count > 0 && templates == nullptr) throw Error(ErrorCode::InvalidArgument, "templates is null");
  if (!options.samples.empty() && options.samples.size() != count)
    throw Error(ErrorCode::InvalidArgument, std::to_string(options.samples.size()) + " sample counts for " +
                                                std::to_string(count) + " templates");
  for (size_t i = 0; i < options.samples.size(); ++i)
    if (options.samples[i] == 0) throw Error(ErrorCode::InvalidArgument, "sample count of row " + std::to_string(i) + " is 0");
  const uint32_t n = params_.n;
  std::vector<Record> records(count);
  const int threads = internal::resolve_threads(options_.threads);
  for (size_t start = 0; start < count; start += batch_of(options_)) {
    const size_t bs = std::min(batch_of(options_), count - start);
    std::vector<float> u =
        internal::prepare_templates(*backend_, params_, app_transform_, templates + start * params_.m, bs,
                                    options.first_index + start, threads);
    std::vector<EnrollSecrets> secrets(bs);
    std::vector<internal::EnrollItem> items(bs);
    for (size_t i = 0; i < bs; ++i) {
      Record& r = records[start + i];
      r.m = params_.m;
      r.n = n;
      r.alpha = params_.alpha;
      r.dtype = params_.dtype;
      r.expander_id = expander_id_;
      r.app_id = app_id_;
      r.samples = options.samples.empty() ? 1 : options.samples[start + i];
      crypto::Digest key_c;
      if (options.insecure_seed) {
        const uint64_t index = options.first_index + start + i;
        r.flags = kFlagDeterministic;
        secrets[i].key_q = keyflow::deterministic_key("Q", *options.insecure_seed, index);
        key_c = keyflow::deterministic_key("c", *options.insecure_seed, index);
        const auto salt = keyflow::deterministic_key("salt", *options.insecure_seed, index);
        std::memcpy(r.salt.data(), salt.data(), 16);
      } else {
        crypto::random_bytes(secrets[i].key_q.data(), 32);
        crypto::random_bytes(key_c.data(), 32);
        crypto::random_bytes(r.salt.data(), 16);
      }
      detail::sample_codeword(key_c.data(), n, params_.alpha, &secrets[i].c);
      secure_zero(key_c.data(), key_c.size());
      items[i] = {u.data() + i * n, secrets[i].key_q.data(), &secrets[i].c, nullptr};
    }
    // P buffers (1 MiB each at n = 512) are zero-filled on all threads: one thread's page faults and
    // stores would take longer than the GPU takes to form P. A backend that hashes P's chunks where it
    // forms P (the GPU) returns the digests with P.
    const bool backend_digests = backend_->hashes_chunks();
    internal::parallel_for(bs, threads, [&](size_t b, size_t e, int) {
      for (size_t i = b; i < e; ++i) {
        Record& r = records[start + i];
        r.p.resize(r.p_bytes());
        items[i].p_out = r.p.data();
        if (backend_digests) {
          r.p_digests.resize(r.chunk_count());
          items[i].digests_out = r.p_digests.data();
        }
      }
    });
    std::vector<uint8_t> status(bs, internal::kEnrollOk);
    backend_->enroll(items, n, params_.dtype, status.data());
    // sinθ < 1e-6 (probability ~0): draw a new Q, keyed by the hash of the old key in both modes.
    for (int attempt = 0; attempt < 8; ++attempt) {
      std::vector<internal::EnrollItem> retry;
      std::vector<size_t> where;
      for (size_t i = 0; i < bs; ++i)
        if (status[i] == internal::kEnrollDegenerate) {
          secrets[i].key_q = crypto::sha256(secrets[i].key_q);
          retry.push_back(items[i]);
          where.push_back(i);
        }
      if (retry.empty()) break;
      std::vector<uint8_t> st(retry.size());
      backend_->enroll(retry, n, params_.dtype, st.data());
      for (size_t k = 0; k < where.size(); ++k) status[where[k]] = st[k];
    }
    for (size_t i = 0; i < bs; ++i)
      if (status[i] != internal::kEnrollOk)
        throw Error(ErrorCode::Backend, "enrollment of row " + std::to_string(start + i) +
                                            " failed its check ‖P·t − c‖∞ < 1e-4");
    // The chunk digests of P (the v2 checksum and MAC input) are hashed once, here unless the backend
    // returned them with P; serialize and verification reuse them. One thread per record when there are
    // enough records to go round.
    const int hash_threads = bs >= size_t(threads) ? 1 : 0;
    internal::parallel_for(bs, threads, [&](size_t b, size_t e, int) {
      std::vector<crypto::Digest> keys(e - b), macs(e - b);
      std::vector<const Record*> made(e - b);
      for (size_t i = b; i < e; ++i) {
        Record& r = records[start + i];
        if (!backend_digests) {
          r.p_digests.resize(r.chunk_count());
          format::chunk_digests(r.p, r.p_digests.data(), hash_threads);
        }
        r.verifier = keyflow::verifier(r.salt.data(), secrets[i].c);
        keys[i - b] = keyflow::mac_key(r.salt.data(), secrets[i].c);
        made[i - b] = &r;
      }
      keyflow::record_macs(keys.data(), made.data(), e - b, macs.data());  // MACs hashed together
      secure_zero(keys.data(), keys.size() * sizeof(crypto::Digest));
      for (size_t i = b; i < e; ++i) records[start + i].mac = macs[i - b];
    });
    secure_zero(u.data(), u.size() * sizeof(float));
  }
  return records;
}

bool Engine::defers_checksums() const { return backend_->hashes_chunks(); }

void Engine::check_record(const Record& r, size_t index, bool allow_pending, bool holds_p) const {
  if (r.checksum_pending() && !allow_pending)
    throw Error(ErrorCode::InvalidRecord, "record " + std::to_string(index) +
                                              ": field 'checksum' pending (parsed with defer_checksum); only "
                                              "per-call verification checks it: parse it without defer_checksum");
  auto mismatch = [&](const std::string& what) {
    throw Error(ErrorCode::Mismatch, "record " + std::to_string(index) + ": " + what);
  };
  if (r.m != params_.m || r.n != params_.n || r.alpha != params_.alpha)
    mismatch("made with m=" + std::to_string(r.m) + " n=" + std::to_string(r.n) + " alpha=" + std::to_string(r.alpha) +
             ", engine has m=" + std::to_string(params_.m) + " n=" + std::to_string(params_.n) +
             " alpha=" + std::to_string(params_.alpha));
  if (r.expander_id != expander_id_) mismatch("made with a different template expander");
  if (r.app_id != app_id_) mismatch("made with a different application key");
  if (holds_p && r.p.size() != r.p_bytes())
    throw Error(ErrorCode::InvalidRecord, "record " + std::to_string(index) + ": P has the wrong size");
}

namespace {

// MACs of header ‖ P under the keys of the matched codewords; ok[i] = 1 when record i's MAC holds.
// memos (a resident gallery's, else null) remember the outcome per record: 0 unknown, 1 authentic,
// 2 tampered. Gallery records are immutable, and a verifier match fixes the codeword and so the MAC
// key, so the first outcome holds for every later match. The unknown ones are hashed together, which
// lets the CPU interleave several SHA-256 streams.
void macs_hold(const Record* const* records, const detail::Codeword* const* codewords,
               std::atomic<uint8_t>* const* memos, size_t count, uint8_t* ok) {
  std::vector<size_t> todo;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t known = memos && memos[i] ? memos[i]->load(std::memory_order_acquire) : 0;
    if (known != 0)
      ok[i] = known == 1;
    else
      todo.push_back(i);
  }
  std::vector<crypto::Digest> keys(todo.size()), macs(todo.size());
  std::vector<const Record*> hashed(todo.size());
  for (size_t k = 0; k < todo.size(); ++k) {
    hashed[k] = records[todo[k]];
    keys[k] = keyflow::mac_key(hashed[k]->salt.data(), *codewords[todo[k]]);
  }
  keyflow::record_macs(keys.data(), hashed.data(), todo.size(), macs.data());
  secure_zero(keys.data(), keys.size() * sizeof(crypto::Digest));
  for (size_t k = 0; k < todo.size(); ++k) {
    const size_t i = todo[k];
    ok[i] = crypto::equal_ct(macs[k].data(), hashed[k]->mac.data(), 32) ? 1 : 0;
    if (memos && memos[i]) memos[i]->store(ok[i] ? 1 : 2, std::memory_order_release);
  }
}

}  // namespace

std::vector<KeyedDecision> Engine::verify_batches(const float* probes, size_t count,
                                                  const std::vector<const Record*>& records,
                                                  const std::string_view* context, const BatchDecoder& decode,
                                                  std::atomic<uint8_t>* const* memos, const AcceptHook* on_accept) {
  if (count > 0 && probes == nullptr) throw Error(ErrorCode::InvalidArgument, "probes is null");
  std::vector<KeyedDecision> out(count);
  const int threads = internal::resolve_threads(options_.threads);
  for (size_t start = 0; start < count; start += batch_of(options_)) {
    const size_t bs = std::min(batch_of(options_), count - start);
    std::vector<float> t =
        internal::prepare_templates(*backend_, params_, app_transform_, probes + start * params_.m, bs, start, threads);
    std::vector<uint8_t> match(bs, 0);
    std::vector<detail::Codeword> matched(bs);
    decode(start, bs, t.data(), match.data(), matched.data());
    // A verifier match is an accept only when the MAC over header ‖ P holds too. The MACs still unknown
    // (every one, except in a resident gallery that has seen the record) are hashed on all threads;
    // when none is, the matches are settled on this thread (starting threads would cost more).
    std::vector<size_t> matches;
    size_t unknown = 0;
    for (size_t i = 0; i < bs; ++i) {
      if (!match[i]) continue;
      matches.push_back(i);
      if (!memos || !memos[start + i] || memos[start + i]->load(std::memory_order_acquire) == 0) ++unknown;
    }
    const bool many_keys = context && matches.size() >= 256;
    internal::parallel_for(matches.size(), unknown > 0 || many_keys ? threads : 1, [&](size_t b, size_t e, int) {
      std::vector<size_t> hit;
      std::vector<const Record*> hit_record;
      std::vector<const detail::Codeword*> hit_codeword;
      std::vector<std::atomic<uint8_t>*> hit_memo;
      for (size_t m = b; m < e; ++m) {
        const size_t i = matches[m];
        hit.push_back(i);
        hit_record.push_back(records[start + i]);
        hit_codeword.push_back(&matched[i]);
        hit_memo.push_back(memos ? memos[start + i] : nullptr);
      }
      std::vector<uint8_t> authentic(hit.size(), 0);
      macs_hold(hit_record.data(), hit_codeword.data(), hit_memo.data(), hit.size(), authentic.data());
      for (size_t k = 0; k < hit.size(); ++k) {
        const size_t i = hit[k];
        const Record& r = *records[start + i];
        KeyedDecision& d = out[start + i];
        if (!authentic[k]) {
          d.decision = Decision::Tampered;
        } else {
          d.decision = Decision::Accept;
          if (on_accept) (*on_accept)(start + i, matched[i]);
          if (context) {
            auto key = keyflow::derive_key(r.salt.data(), matched[i], *context);
            std::memcpy(d.key.mutable_bytes().data(), key.data(), 32);
            secure_zero(key.data(), key.size());
          }
        }
      }
    });
    for (auto& c : matched) c.wipe();
    secure_zero(t.data(), t.size() * sizeof(float));
  }
  return out;
}

std::vector<KeyedDecision> Engine::verify_common(const float* probes, size_t count,
                                                 const std::vector<const Record*>& records,
                                                 const std::string_view* context, const AcceptHook* on_accept) {
  if (records.size() != count)
    throw Error(ErrorCode::InvalidArgument, std::to_string(count) + " probes but " + std::to_string(records.size()) +
                                                " records (probe i is verified against record i)");
  const uint32_t n = params_.n;
  // Records whose checksum parse deferred are settled in their batch before any decision: the root over
  // the header and the chunk digests of the very P the backend verified with (hashed on the device when
  // the backend can, else here). A mismatch is Tampered; a match swaps in a settled copy (no P) that
  // the MAC check reads.
  const bool backend_digests = backend_->hashes_chunks();
  const int threads = internal::resolve_threads(options_.threads);
  std::vector<const Record*> checked = records;
  std::vector<std::unique_ptr<Record>> settled(count);
  std::vector<uint8_t> bad_root(count, 0);
  auto out = verify_batches(probes, count, checked, context,
                        [&](size_t start, size_t bs, const float* t, uint8_t* match, detail::Codeword* matched) {
    std::vector<std::vector<crypto::Digest>> digests(bs);
    std::vector<size_t> pending;
    for (size_t i = 0; i < bs; ++i)
      if (records[start + i]->checksum_pending()) {
        digests[i].resize(records[start + i]->chunk_count());
        pending.push_back(i);
      }
    for (Dtype dtype : {Dtype::F32, Dtype::F16}) {  // one backend call per P storage type
      std::vector<internal::VerifyItem> items;
      std::vector<size_t> where;
      for (size_t i = 0; i < bs; ++i) {
        const Record& r = *records[start + i];
        if (r.dtype != dtype) continue;
        items.push_back({r.p.data(), t + i * n, r.salt.data(), r.verifier.data(),
                         backend_digests && !digests[i].empty() ? digests[i].data() : nullptr});
        where.push_back(i);
      }
      if (items.empty()) continue;
      std::vector<uint8_t> m(items.size(), 0);
      std::vector<detail::Codeword> cw(items.size());
      backend_->verify(items, n, params_.alpha, dtype, m.data(), cw.data());
      for (size_t k = 0; k < items.size(); ++k) {
        match[where[k]] = m[k];
        if (m[k]) matched[where[k]] = cw[k];
        cw[k].wipe();
      }
    }
    internal::parallel_for(pending.size(), backend_digests ? 1 : threads, [&](size_t b, size_t e, int) {
      for (size_t k = b; k < e; ++k) {
        const size_t i = pending[k];
        const Record& r = *records[start + i];
        if (!backend_digests) format::chunk_digests(r.p, digests[i].data(), 1);
        if (format::pending_root_holds(r, digests[i])) {
          settled[start + i] = std::make_unique<Record>(format::settled_without_p(r, std::move(digests[i])));
          checked[start + i] = settled[start + i].get();
        } else {
          bad_root[start + i] = 1;
          match[i] = 0;
          matched[i].wipe();
        }
      }
    });
  }, nullptr, on_accept);
  for (size_t i = 0; i < count; ++i)
    if (bad_root[i]) out[i].decision = Decision::Tampered;  // never matched, so no key was derived
  return out;
}

std::vector<Decision> Engine::verify(const float* probes, size_t count, std::span<const Record> records) {
  for (size_t i = 0; i < records.size(); ++i) check_record(records[i], i, /*allow_pending=*/true);
  const auto keyed = verify_common(probes, count, internal::record_pointers(records), nullptr);
  std::vector<Decision> out(keyed.size());
  for (size_t i = 0; i < keyed.size(); ++i) out[i] = keyed[i].decision;
  return out;
}

std::vector<KeyedDecision> Engine::verify_and_derive(const float* probes, size_t count, std::span<const Record> records,
                                                     std::string_view context) {
  for (size_t i = 0; i < records.size(); ++i) check_record(records[i], i, /*allow_pending=*/true);
  return verify_common(probes, count, internal::record_pointers(records), &context);
}

std::vector<KeyedDecision> Engine::verify_and_upgrade(const float* probes, size_t count,
                                                      std::span<const Record> records, std::string_view context,
                                                      std::vector<std::optional<Record>>& upgraded) {
  for (size_t i = 0; i < records.size(); ++i) check_record(records[i], i, /*allow_pending=*/true);
  upgraded.assign(records.size(), std::nullopt);
  const AcceptHook hook = [&](size_t i, const detail::Codeword& c) {
    if (records[i].version == kRecordVersion1) upgraded[i] = format::upgrade_to_v2(records[i], c);
  };
  return verify_common(probes, count, internal::record_pointers(records), &context, &hook);
}

namespace {

// A verifier match counts only when the record's MAC holds too; returns the hits that pass.
std::vector<uint8_t> identify_macs_hold(const std::vector<internal::IdentifyHit>& hits,
                                        const Record* const* record_of_hit, std::atomic<uint8_t>* const* memo_of_hit,
                                        int threads) {
  std::vector<uint8_t> ok(hits.size(), 0);
  std::vector<const detail::Codeword*> codewords(hits.size());
  for (size_t h = 0; h < hits.size(); ++h) codewords[h] = &hits[h].codeword;
  internal::parallel_for(hits.size(), threads, [&](size_t b, size_t e, int) {
    macs_hold(record_of_hit + b, codewords.data() + b, memo_of_hit + b, e - b, ok.data() + b);
  });
  return ok;
}

std::vector<internal::GalleryItem> gallery_items(std::span<const Record> records, const std::vector<uint32_t>& which) {
  std::vector<internal::GalleryItem> items;
  items.reserve(which.size());
  for (uint32_t i : which) items.push_back({records[i].p.data(), records[i].salt.data(), records[i].verifier.data()});
  return items;
}

}  // namespace

std::vector<std::vector<uint32_t>> Engine::identify_resident(const std::vector<float>& t, size_t count,
                                                             internal::ResidentGallery& resident,
                                                             std::span<const Record> records,
                                                             const std::vector<uint32_t>& where,
                                                             std::vector<std::vector<uint32_t>>& out,
                                                             std::atomic<uint8_t>* memos) {
  auto hits = resident.identify(t.data(), count, params_.alpha);
  std::vector<const Record*> record_of_hit(hits.size());
  std::vector<std::atomic<uint8_t>*> memo_of_hit(hits.size(), nullptr);
  for (size_t h = 0; h < hits.size(); ++h) {
    const uint32_t index = where[hits[h].record];
    record_of_hit[h] = &records[index];
    if (memos != nullptr) memo_of_hit[h] = &memos[index];
  }
  const auto ok = identify_macs_hold(hits, record_of_hit.data(), memo_of_hit.data(), internal::resolve_threads(options_.threads));
  for (size_t h = 0; h < hits.size(); ++h) {
    if (ok[h]) out[hits[h].probe].push_back(where[hits[h].record]);
    hits[h].codeword.wipe();
  }
  return out;
}

std::vector<std::vector<uint32_t>> Engine::identify(const float* probes, size_t count, std::span<const Record> gallery) {
  if (count > 0 && probes == nullptr) throw Error(ErrorCode::InvalidArgument, "probes is null");
  for (size_t i = 0; i < gallery.size(); ++i) check_record(gallery[i], i);
  std::vector<std::vector<uint32_t>> out(count);
  if (count == 0 || gallery.empty()) return out;
  std::vector<float> t = prepare(probes, count);
  for (Dtype dtype : {Dtype::F32, Dtype::F16}) {
    std::vector<uint32_t> where;
    for (size_t i = 0; i < gallery.size(); ++i)
      if (gallery[i].dtype == dtype) where.push_back(uint32_t(i));
    if (where.empty()) continue;
    const auto items = gallery_items(gallery, where);
    auto resident = backend_->make_gallery(items, params_.n, dtype);
    identify_resident(t, count, *resident, gallery, where, out, nullptr);
  }
  for (auto& ids : out) std::sort(ids.begin(), ids.end());
  secure_zero(t.data(), t.size() * sizeof(float));
  return out;
}

Gallery::Gallery(std::vector<Record> records, std::unique_ptr<internal::ResidentGallery> resident,
                 std::weak_ptr<const void> owner)
    : records_(std::move(records)),
      resident_(std::move(resident)),
      owner_(std::move(owner)),
      mac_memo_(std::make_unique<std::atomic<uint8_t>[]>(records_.size())) {}
Gallery::~Gallery() = default;

std::unique_ptr<Gallery> Engine::load_gallery(std::vector<Record> records) {
  for (size_t i = 0; i < records.size(); ++i) {
    check_record(records[i], i);
    if (records[i].dtype != records[0].dtype)
      throw Error(ErrorCode::Mismatch, "record " + std::to_string(i) + ": a gallery holds one P dtype (record 0 differs)");
  }
  std::unique_ptr<internal::ResidentGallery> resident;
  if (!records.empty()) {
    std::vector<uint32_t> all(records.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = uint32_t(i);
    resident = backend_->make_gallery(gallery_items(records, all), params_.n, records[0].dtype);
  }
  // The records' buffers do not move with the vector, so the resident items stay valid.
  return std::unique_ptr<Gallery>(new Gallery(std::move(records), std::move(resident), gallery_token_));
}

void Engine::check_gallery(const Gallery& g) const {
  // Same owner = same control block; an expired token can never equal a live one.
  const bool same = !g.owner_.owner_before(gallery_token_) && !gallery_token_.owner_before(g.owner_);
  if (g.owner_.expired())
    throw Error(ErrorCode::InvalidArgument, "gallery: the engine that loaded it was destroyed; load it again with this engine");
  if (!same) throw Error(ErrorCode::InvalidArgument, "gallery: loaded by another engine; load it again with this engine");
}

std::vector<std::vector<uint32_t>> Engine::identify(const float* probes, size_t count, const Gallery& gallery) {
  check_gallery(gallery);
  if (count > 0 && probes == nullptr) throw Error(ErrorCode::InvalidArgument, "probes is null");
  std::vector<std::vector<uint32_t>> out(count);
  if (count == 0 || gallery.size() == 0) return out;
  std::vector<float> t = prepare(probes, count);
  std::vector<uint32_t> all(gallery.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = uint32_t(i);
  identify_resident(t, count, *gallery.resident_, gallery.records_, all, out, gallery.mac_memo_.get());
  for (auto& ids : out) std::sort(ids.begin(), ids.end());
  secure_zero(t.data(), t.size() * sizeof(float));
  return out;
}

std::vector<Decision> Engine::verify(const float* probes, size_t count, const Gallery& gallery,
                                     std::span<const uint32_t> index) {
  check_gallery(gallery);
  if (index.size() != count)
    throw Error(ErrorCode::InvalidArgument, std::to_string(count) + " probes but " + std::to_string(index.size()) +
                                                " gallery indices");
  for (size_t i = 0; i < count; ++i)
    if (index[i] >= gallery.size())
      throw Error(ErrorCode::InvalidArgument, "gallery index " + std::to_string(index[i]) + " (probe " +
                                                  std::to_string(i) + ") is out of range");
  std::vector<const Record*> records(count);
  std::vector<std::atomic<uint8_t>*> memos(count);
  for (size_t i = 0; i < count; ++i) {
    records[i] = &gallery.records_[index[i]];
    memos[i] = &gallery.mac_memo_[index[i]];
  }
  const auto keyed = verify_batches(probes, count, records, nullptr,
                                    [&](size_t start, size_t bs, const float* t, uint8_t* match, detail::Codeword* cw) {
                                      gallery.resident_->verify(t, index.data() + start, bs, params_.alpha, match, cw);
                                    },
                                    memos.data());
  std::vector<Decision> out(count);
  for (size_t i = 0; i < count; ++i) out[i] = keyed[i].decision;
  return out;
}

}  // namespace spheremask
