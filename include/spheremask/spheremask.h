/* spheremask C API: a stable, pure-C interface to the engine for servers written in C, Go, Rust,
 * Java, Python (ctypes/cffi), ...
 *
 * Conventions
 * - Every symbol and enum value starts with sm_ / SM_. Handles are opaque; each has one create and
 *   one free function (free accepts NULL).
 * - Functions that can fail return sm_status (SM_OK = 0). On failure sm_last_error() returns a
 *   message naming the failing input; every successful status-returning call clears it.
 * - Host buffers only: templates are row-major float32 arrays in host memory, whatever the backend.
 * - Threading: an sm_engine must not be used by two threads at once (serialize with a lock, or
 *   create one engine per thread); distinct engines are independent. Params (once configured),
 *   expander and matches handles are read-only, and a records collection changes only in
 *   sm_records_parse_append / sm_enroll*: between changes, any number of threads and engines may
 *   read the same handle.
 *   sm_last_error() is per thread.
 * - Secrets: keys (SM_KEY_BYTES) and opened plaintexts are written to caller buffers. The caller
 *   owns them and must wipe them with sm_wipe() when done. The library never prints.
 */
#ifndef SPHEREMASK_SPHEREMASK_H
#define SPHEREMASK_SPHEREMASK_H

#include <stddef.h>
#include <stdint.h>

#include "spheremask/export.hpp" /* SPHEREMASK_API: preprocessor only, valid C */
#include "spheremask/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes (1..10 mirror spheremask::ErrorCode) ---------------------------------------- */

typedef int sm_status;
enum {
  SM_OK = 0,
  SM_ERR_INVALID_ARGUMENT = 1, /* bad parameters or templates (the message names the row) */
  SM_ERR_INVALID_RECORD = 2,   /* malformed or corrupted record / file (the message names the field) */
  SM_ERR_TAMPERED = 3,         /* a record whose MAC fails after its codeword matched */
  SM_ERR_WEAK_PARAMETERS = 4,  /* code below 80 bits, or expander enrollment without app key, without allow_weak */
  SM_ERR_MISMATCH = 5,         /* record made with other parameters, expander or application key */
  SM_ERR_CRYPTO = 6,           /* OpenSSL failure, or authentication failure in sm_open_sealed */
  SM_ERR_IO = 7,               /* file system */
  SM_ERR_BACKEND = 8,          /* BLAS/LAPACK/CUDA failure */
  SM_ERR_UNAVAILABLE = 9,      /* backend not compiled in or no device */
  SM_ERR_STORE = 10,           /* embedded store */
  /* C API only */
  SM_ERR_BUFFER_TOO_SMALL = 100, /* output buffer too small; the required size was written */
  SM_ERR_OUT_OF_MEMORY = 101,
  SM_ERR_INTERNAL = 102 /* unexpected exception inside the library (a bug: please report) */
};

/* Message of the last failing call on this thread ("" if none). Valid until the next sm_ call on
 * this thread. */
SPHEREMASK_API const char* sm_last_error(void);
/* Short name of a status code ("ok", "invalid argument", ...). Static storage. */
SPHEREMASK_API const char* sm_status_name(sm_status status);

/* ---- version and environment ------------------------------------------------------------------ */

/* Runtime library version: major * 10000 + minor * 100 + patch (compare with SM_VERSION). */
SPHEREMASK_API uint32_t sm_version(void);
SPHEREMASK_API const char* sm_version_string(void);
/* ABI version (the soname suffix, libspheremask.so.N). */
SPHEREMASK_API int sm_abi_version(void);
/* Usable CUDA devices; 0 when CUDA is not compiled in, or there is no driver or no device; -1 when the
 * driver reports another error (sm_last_error() names it). */
SPHEREMASK_API int sm_cuda_device_count(void);
/* Security of the code C(n, alpha) in bits: log2(binom(n, alpha)) + alpha. */
SPHEREMASK_API double sm_code_bits(uint32_t n, uint32_t alpha);
/* Zeroes memory in a way the compiler cannot drop. Use it on every key and opened plaintext. */
SPHEREMASK_API void sm_wipe(void* p, size_t len);

/* ---- template expander ------------------------------------------------------------------------ */

typedef struct sm_expander sm_expander;

/* Loads and validates an SMTE weights file. */
SPHEREMASK_API sm_status sm_expander_load(const char* path, sm_expander** out);
SPHEREMASK_API void sm_expander_free(sm_expander* expander);
SPHEREMASK_API uint32_t sm_expander_input_dim(const sm_expander* expander);
SPHEREMASK_API uint32_t sm_expander_output_dim(const sm_expander* expander);
/* SHA-256 of the weights file (stored in every record made with it). */
SPHEREMASK_API void sm_expander_id(const sm_expander* expander, uint8_t id_out[32]);

/* ---- parameters ------------------------------------------------------------------------------- */

typedef struct sm_params sm_params;
typedef enum sm_dtype { SM_DTYPE_F32 = 0, SM_DTYPE_F16 = 1 } sm_dtype;

/* m: template dimension. n: code dimension; 0 = the expander's output dimension, or m without
 * one. alpha: nonzeros of a codeword (16 is the original IronMask). dtype: storage of P in records.
 * allow_weak: accept codes under 80 bits, and enrollment through an expander without an application key
 * (sm_params_set_app_key), which is otherwise refused with SM_ERR_WEAK_PARAMETERS (tests only). expander_path: SMTE file, or NULL for none.
 * Defaults of the C++ API: m = n = 512, alpha = 16, SM_DTYPE_F32.
 * Enum arguments (dtype, backend, store mode) are taken as int, since a C caller may pass any
 * integer: a value that names no enumerator is SM_ERR_INVALID_ARGUMENT. */
SPHEREMASK_API sm_status sm_params_create(uint32_t m, uint32_t n, uint32_t alpha, int dtype, int allow_weak,
                                          const char* expander_path, sm_params** out);
/* As sm_params_create, sharing an expander loaded once (may be NULL). The params keep their own
 * reference: the expander handle may be freed afterwards. */
SPHEREMASK_API sm_status sm_params_create_with_expander(uint32_t m, uint32_t n, uint32_t alpha, int dtype,
                                                        int allow_weak, const sm_expander* expander,
                                                        sm_params** out);
/* Application binding (unlinkability across deployments): a 32-byte secret application key. */
SPHEREMASK_API sm_status sm_params_set_app_key(sm_params* params, const uint8_t app_key[32]);
/* Switches of the CUDA backend, applied by sm_engine_create (the CPU backend ignores them; the library
 * reads no environment variables). haar: how Q is formed, an sm_cuda_haar value (AUTO: compact WY up to
 * n = 1024, cuSOLVER orgqr above). cap_bytes: at most this much device memory for the P of a gallery
 * held on the device during sm_identify (the rest is streamed from host memory); 0 = no cap. */
typedef enum sm_cuda_haar { SM_CUDA_HAAR_AUTO = 0, SM_CUDA_HAAR_ORGQR = 1, SM_CUDA_HAAR_WY = 2 } sm_cuda_haar;
SPHEREMASK_API sm_status sm_params_set_cuda_haar(sm_params* params, int haar);
SPHEREMASK_API sm_status sm_params_set_gallery_cap_bytes(sm_params* params, uint64_t cap_bytes);
/* More CUDA switches, same rules. on: 0 or 1 (any other value is SM_ERR_INVALID_ARGUMENT, as a C caller may
 * pass a count or a pointer-sized flag by mistake). identify_tensor_cores: identify f16 galleries on tensor cores
 * (f16 P times the probe split in two f16 parts, FP32 accumulation; the decisions equal the CPU's except where
 * a probe's alpha-th and (alpha+1)-th largest |P t| are within rounding of each other); default 0, until a GPU
 * run has measured it. chunk_hash_on_device:
 * hash the SMHD v2 chunks of P on the device at enrollment and for deferred checksums (1, the default), or
 * on the host as the CPU does (0). */
SPHEREMASK_API sm_status sm_params_set_identify_tensor_cores(sm_params* params, int on);
SPHEREMASK_API sm_status sm_params_set_cuda_chunk_hash_on_device(sm_params* params, int on);
/* Templates per backend call, applied by sm_engine_create on either backend; 0 = the backend default (the
 * default). Any size is valid (a call with fewer templates makes one smaller batch): only a value beyond the
 * address space is SM_ERR_INVALID_ARGUMENT. The decisions and records do not depend on it. The CUDA device
 * ordinal is an argument of sm_engine_create. */
SPHEREMASK_API sm_status sm_params_set_batch_size(sm_params* params, uint64_t batch_size);
/* List decoding, applied by sm_engine_create: verification and identification also try every codeword
 * within max_angle_deg of the probe (best first, the nearest always included, at most max_candidates per
 * probe and record), so a probe is accepted about as a cosine matcher at that angle would accept it. The
 * records are unchanged: enroll with any engine. max_angle_deg: 0 = off (the nearest codeword only, the
 * default), otherwise at most 80. max_candidates: 1 ... 1048576 (1 << 20), checked even when off; the
 * default is 4096. Wider angles accept more impostors too, and each probe costs up to max_candidates
 * hashes per record. CPU backend only: AUTO then picks the CPU, and SM_BACKEND_CUDA is
 * SM_ERR_INVALID_ARGUMENT at sm_engine_create. A value out of range is SM_ERR_INVALID_ARGUMENT here,
 * and the params keep their previous setting. */
SPHEREMASK_API sm_status sm_params_set_list_decoding(sm_params* params, double max_angle_deg, uint32_t max_candidates);
SPHEREMASK_API void sm_params_free(sm_params* params);

/* ---- engine ----------------------------------------------------------------------------------- */

typedef struct sm_engine sm_engine;
typedef enum sm_backend { SM_BACKEND_AUTO = 0, SM_BACKEND_CPU = 1, SM_BACKEND_CUDA = 2 } sm_backend;

/* backend: an sm_backend value; AUTO picks CUDA when compiled in and a device exists, else the CPU. threads: CPU worker threads
 * (0 = all cores). device: CUDA device ordinal. The engine copies what it needs from params. */
SPHEREMASK_API sm_status sm_engine_create(const sm_params* params, int backend, int threads, int device,
                                          sm_engine** out);
SPHEREMASK_API void sm_engine_free(sm_engine* engine);
/* The backend actually in use (CPU or CUDA, never AUTO). */
SPHEREMASK_API sm_backend sm_engine_backend(const sm_engine* engine);
/* 1 when this engine's verification checks a deferred checksum where it reads P anyway (the CUDA backend
 * with chunk hashing on the device), so sm_records_parse_append_deferred saves a pass over P; 0 on the CPU,
 * where deferring only moves that pass (deferred records still verify correctly), and for NULL. */
SPHEREMASK_API int sm_engine_defers_checksums(const sm_engine* engine);
/* Template dimension m, code dimension n and alpha; any pointer may be NULL. */
SPHEREMASK_API void sm_engine_dims(const sm_engine* engine, uint32_t* m, uint32_t* n, uint32_t* alpha);

/* ---- records (helper data "SMHD" v1) --------------------------------------------------------- */

/* An ordered collection of records, held contiguously so that verification and identification read
 * them in place (no copy of P, which is n*n*4 bytes: 1 MiB at n = 512, 64 MiB at n = 4096). Record
 * i of a collection is addressed by its index. */
typedef struct sm_records sm_records;

SPHEREMASK_API sm_status sm_records_create(sm_records** out);
SPHEREMASK_API void sm_records_free(sm_records* records);
SPHEREMASK_API size_t sm_records_count(const sm_records* records);
/* Parses one serialized record, validating every field (DESIGN §4), and appends it. allow_weak
 * accepts codes under 80 bits. On failure the collection is unchanged. */
SPHEREMASK_API sm_status sm_records_parse_append(sm_records* records, const uint8_t* bytes, size_t len,
                                                 int allow_weak);
/* As sm_records_parse_append, with the checksum of a v2 record left pending (v1 records have no digest tree
 * and are checked here): every field is validated now, and the root over header and P is settled by
 * sm_verify / sm_verify_and_derive before they decide, from the P they multiply (on the CUDA backend hashed
 * on the device, saving the host pass over P): a mismatch is SM_TAMPERED for that record, never an accept
 * or a key. Every other use of a pending record (sm_identify, frames, sm_records_serialize, sm_store_put)
 * is SM_ERR_INVALID_RECORD naming the pending checksum. Worth it where sm_engine_defers_checksums says so. */
SPHEREMASK_API sm_status sm_records_parse_append_deferred(sm_records* records, const uint8_t* bytes, size_t len,
                                                          int allow_weak);
/* 1 when record `index` was parsed with sm_records_parse_append_deferred and is a v2 record (its checksum
 * is still pending), else 0. */
SPHEREMASK_API int sm_records_checksum_pending(const sm_records* records, size_t index);
/* Serialized size of record `index` (0 when the index is out of range). */
SPHEREMASK_API size_t sm_records_serialized_size(const sm_records* records, size_t index);
/* Writes record `index` to buf (capacity cap) and its size to *written. If cap is too small,
 * returns SM_ERR_BUFFER_TOO_SMALL with the required size in *written. */
SPHEREMASK_API sm_status sm_records_serialize(const sm_records* records, size_t index, uint8_t* buf, size_t cap,
                                              size_t* written);
/* 1 when record `index` was enrolled with sm_enroll_insecure_deterministic, else 0. */
SPHEREMASK_API int sm_records_is_deterministic(const sm_records* records, size_t index);

/* ---- enrollment and verification ------------------------------------------------------------- */

/* Decisions written by sm_verify / sm_verify_and_derive, one uint8_t per probe. */
enum { SM_REJECT = 0, SM_ACCEPT = 1, SM_TAMPERED = 2 };
#define SM_KEY_BYTES 32

/* templates: count x m floats, row-major. Appends one record per template to `out`; on failure
 * nothing is appended. */
SPHEREMASK_API sm_status sm_enroll(sm_engine* engine, const float* templates, size_t count, sm_records* out);
/* INSECURE, tests and benchmarks only: every secret is derived from seed and the template index
 * first_index + i, so anyone knowing the seed can invert the records. Records carry the flag. */
SPHEREMASK_API sm_status sm_enroll_insecure_deterministic(sm_engine* engine, const float* templates, size_t count,
                                                          const uint8_t seed[32], uint64_t first_index,
                                                          sm_records* out);
/* Probe i against record i; `records` must hold exactly count records.
 * decisions[i] = SM_REJECT | SM_ACCEPT | SM_TAMPERED. */
SPHEREMASK_API sm_status sm_verify(sm_engine* engine, const float* probes, size_t count, const sm_records* records,
                                   uint8_t* decisions);
/* As sm_verify; for each accepted probe i also writes the key bound to context (any bytes, may be
 * NULL when context_len is 0) to keys[i * SM_KEY_BYTES ...]; other rows get zeros. keys holds
 * count * SM_KEY_BYTES bytes; the caller must wipe it (sm_wipe). */
SPHEREMASK_API sm_status sm_verify_and_derive(sm_engine* engine, const float* probes, size_t count,
                                              const sm_records* records, const void* context, size_t context_len,
                                              uint8_t* decisions, uint8_t* keys);

/* ---- identification (1:N) -------------------------------------------------------------------- */

typedef struct sm_matches sm_matches;

/* For every probe, the indices of the gallery records that accept it. */
SPHEREMASK_API sm_status sm_identify(sm_engine* engine, const float* probes, size_t probe_count,
                                     const sm_records* gallery, sm_matches** out);
SPHEREMASK_API void sm_matches_free(sm_matches* matches);
SPHEREMASK_API size_t sm_matches_probe_count(const sm_matches* matches);
/* probe_count + 1 offsets: the matches of probe j are indices[offsets[j] .. offsets[j+1]),
 * ascending; offsets[probe_count] is the total number of matches. */
SPHEREMASK_API const size_t* sm_matches_offsets(const sm_matches* matches);
SPHEREMASK_API const uint32_t* sm_matches_indices(const sm_matches* matches);

/* ---- multi-sample enrollment and multi-frame probes ------------------------------------------ */

/* Multi-sample enrollment. templates: rows x m floats, rows = the sum of group_sizes; group g is the
 * next group_sizes[g] (>= 1) rows, all of one identity. Appends one record per group, made from the
 * normalized mean of its rows (a group of one row gives exactly sm_enroll's record). outlier_deg: 0 =
 * use every sample; otherwise in (0, 180]: drop a sample further than this angle from the mean of its
 * group's other samples (groups of 3 or more), and re-average. dropped: NULL, or one byte per template
 * row, set to 1 where the row was dropped and 0 elsewhere. On failure nothing is appended; a NaN or
 * zero row, an empty group or a group that rejection empties is SM_ERR_INVALID_ARGUMENT naming it. */
SPHEREMASK_API sm_status sm_enroll_combined(sm_engine* engine, const float* templates, const uint32_t* group_sizes,
                                            size_t groups, double outlier_deg, sm_records* out, uint8_t* dropped);
/* Templates averaged into record `index` (1 for a single-template record; 0 when the index is out of
 * range). A v1 record keeps no count: it parses as 1. */
SPHEREMASK_API uint32_t sm_records_samples(const sm_records* records, size_t index);

/* How the frames of one probe make one claim. ANY_OF accepts when any frame is accepted: it
 * multiplies the false accept rate by about frames_per_probe. Passed as int (a C caller may pass any
 * integer): a value that names no rule is SM_ERR_INVALID_ARGUMENT. */
typedef enum sm_frame_rule { SM_FRAMES_MEAN = 0, SM_FRAMES_ANY_OF = 1 } sm_frame_rule;

/* Multi-frame probes: frames holds frame_rows x m floats, probe i = rows [i*k, (i+1)*k) with
 * k = frames_per_probe >= 1, which must divide frame_rows. Probe i against record i (records holds
 * frame_rows / k records); decisions: one per probe. MEAN verifies the normalized mean of the frames. */
SPHEREMASK_API sm_status sm_verify_frames(sm_engine* engine, const float* frames, size_t frame_rows,
                                          uint32_t frames_per_probe, int rule, const sm_records* records,
                                          uint8_t* decisions);
/* As sm_verify_frames, writing the key of each accepted probe as sm_verify_and_derive does (keys holds
 * (frame_rows / k) * SM_KEY_BYTES bytes; wipe it with sm_wipe). */
SPHEREMASK_API sm_status sm_verify_and_derive_frames(sm_engine* engine, const float* frames, size_t frame_rows,
                                                     uint32_t frames_per_probe, int rule,
                                                     const sm_records* records, const void* context,
                                                     size_t context_len, uint8_t* decisions, uint8_t* keys);
/* 1:N with frame_rows / k probes; ANY_OF: the records accepting any frame of the probe. */
SPHEREMASK_API sm_status sm_identify_frames(sm_engine* engine, const float* frames, size_t frame_rows,
                                            uint32_t frames_per_probe, int rule, const sm_records* gallery,
                                            sm_matches** out);

/* ---- embedded record store (SQLite, records keyed by subject id) ------------------------------ */

/* Like an engine, a store handle must not be used by two threads at once; open one per thread. */
typedef struct sm_store sm_store;
typedef enum sm_store_mode {
  SM_STORE_READ_ONLY = 0,
  SM_STORE_READ_WRITE = 1,
  SM_STORE_CREATE = 2 /* read-write, creating the file if needed */
} sm_store_mode;

/* mode: an sm_store_mode value. */
SPHEREMASK_API sm_status sm_store_open(const char* path, int mode, sm_store** out);
SPHEREMASK_API void sm_store_free(sm_store* store);
SPHEREMASK_API sm_status sm_store_count(sm_store* store, size_t* count);
/* Stores ids[i] -> record i of `records` (count = sm_records_count) in one transaction: all or
 * nothing. Without replace an id already present is an error. */
SPHEREMASK_API sm_status sm_store_put(sm_store* store, const char* const* ids, const sm_records* records,
                                      int replace);
/* Parses the record stored under id (validating it) and appends it to `out`. SM_ERR_STORE when the
 * id is absent. */
SPHEREMASK_API sm_status sm_store_get_append(sm_store* store, const char* id, int allow_weak, sm_records* out);

/* ---- sealing payloads under a released key (AES-256-GCM, "SMSL" v1) -------------------------- */

/* Sealed size = plaintext size + SM_SEAL_OVERHEAD (magic, version, nonce, tag). */
#define SM_SEAL_OVERHEAD 34

/* aad (may be NULL when aad_len is 0) is authenticated, not stored: pass the same to open.
 * out: capacity cap; *out_len: bytes written, or the required size with SM_ERR_BUFFER_TOO_SMALL. */
SPHEREMASK_API sm_status sm_seal(const uint8_t key[SM_KEY_BYTES], const uint8_t* plaintext, size_t plaintext_len,
                                 const uint8_t* aad, size_t aad_len, uint8_t* out, size_t cap, size_t* out_len);
/* SM_ERR_CRYPTO when the key, aad or ciphertext is wrong; SM_ERR_INVALID_RECORD when malformed.
 * The plaintext is secret: wipe it when done. */
SPHEREMASK_API sm_status sm_open_sealed(const uint8_t key[SM_KEY_BYTES], const uint8_t* sealed, size_t sealed_len,
                                        const uint8_t* aad, size_t aad_len, uint8_t* out, size_t cap,
                                        size_t* out_len);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SPHEREMASK_SPHEREMASK_H */
