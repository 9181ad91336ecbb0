/* A minimal server-side flow with the spheremask C API:
 *   1. enrollment: protect a face template, keep only the record bytes (e.g. in a database);
 *   2. later: a fresh template of the same person is verified against the stored bytes and
 *      releases a 32-byte key (here used to seal a payload); an impostor is rejected.
 * Templates come from a face recognizer in a real deployment; here they are synthetic.
 * Build: cc server_flow.c $(pkg-config --cflags --libs spheremask)   (or find_package, see docs). */
#include <spheremask/spheremask.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { M = 512 }; /* template dimension of ArcFace-like recognizers */

/* Non-secret synthetic data: an approximately Gaussian vector (Irwin-Hall) from a simple LCG. */
static uint32_t lcg_state = 12345u;
static float uniform01(void) {
  lcg_state = lcg_state * 1664525u + 1013904223u;
  return (float)(lcg_state >> 8) / 16777216.0f;
}
static void gaussian_vector(float* v, float scale) {
  for (int i = 0; i < M; ++i) {
    float s = 0.0f;
    for (int k = 0; k < 12; ++k) s += uniform01();
    v[i] = scale * (s - 6.0f);
  }
}

static int check(sm_status st, const char* what) {
  if (st != SM_OK) fprintf(stderr, "%s failed: %s\n", what, sm_last_error());
  return st == SM_OK;
}

/* Enrollment: template -> record bytes (malloc'd, *len set). The template itself is discarded. */
static uint8_t* enroll_one(sm_engine* engine, const float* template_, size_t* len) {
  sm_records* records = NULL;
  uint8_t* bytes = NULL;
  if (check(sm_records_create(&records), "sm_records_create") &&
      check(sm_enroll(engine, template_, 1, records), "sm_enroll")) {
    *len = sm_records_serialized_size(records, 0);
    bytes = malloc(*len);
    if (bytes && !check(sm_records_serialize(records, 0, bytes, *len, len), "sm_records_serialize")) {
      free(bytes);
      bytes = NULL;
    }
  }
  sm_records_free(records);
  return bytes;
}

/* Verification: stored bytes + fresh template -> decision, and the key when accepted. */
static int verify_one(sm_engine* engine, const uint8_t* bytes, size_t len, const float* probe,
                      uint8_t key[SM_KEY_BYTES]) {
  sm_records* records = NULL;
  uint8_t decision = SM_REJECT;
  const char context[] = "example/session-key";
  if (check(sm_records_create(&records), "sm_records_create") &&
      check(sm_records_parse_append(records, bytes, len, 0), "sm_records_parse_append"))
    check(sm_verify_and_derive(engine, probe, 1, records, context, strlen(context), &decision, key),
          "sm_verify_and_derive");
  sm_records_free(records);
  return decision;
}

int main(void) {
  int ok = 0;
  sm_params* params = NULL;
  sm_engine* engine = NULL;
  printf("spheremask %s (headers %s), %d CUDA device(s)\n", sm_version_string(), SM_VERSION_STRING,
         sm_cuda_device_count());
  if (!check(sm_params_create(M, 0, 16, SM_DTYPE_F32, 0, NULL, &params), "sm_params_create") ||
      !check(sm_engine_create(params, SM_BACKEND_AUTO, 0, 0, &engine), "sm_engine_create")) {
    sm_params_free(params);
    return 1;
  }

  float enrolled[M], fresh[M], impostor[M], noise[M];
  gaussian_vector(enrolled, 1.0f);
  gaussian_vector(noise, 0.3f); /* about 17 degrees away: same person, new photo */
  for (int i = 0; i < M; ++i) fresh[i] = enrolled[i] + noise[i];
  gaussian_vector(impostor, 1.0f);

  size_t len = 0;
  uint8_t* stored = enroll_one(engine, enrolled, &len);
  if (stored) {
    printf("enrolled: record of %zu bytes stored\n", len);
    uint8_t key[SM_KEY_BYTES] = {0};
    const int genuine = verify_one(engine, stored, len, fresh, key);
    printf("genuine:  %s\n", genuine == SM_ACCEPT ? "accepted, key released" : "rejected");

    /* Use the key, e.g. to open data sealed for this user at enrollment time. */
    const uint8_t payload[] = "per-user secret";
    uint8_t sealed[sizeof payload + SM_SEAL_OVERHEAD], opened[sizeof payload];
    size_t sealed_len = 0, opened_len = 0;
    const int sealed_ok =
        genuine == SM_ACCEPT &&
        check(sm_seal(key, payload, sizeof payload, NULL, 0, sealed, sizeof sealed, &sealed_len), "sm_seal") &&
        check(sm_open_sealed(key, sealed, sealed_len, NULL, 0, opened, sizeof opened, &opened_len),
              "sm_open_sealed") &&
        opened_len == sizeof payload && memcmp(opened, payload, opened_len) == 0;
    sm_wipe(key, sizeof key); /* keys are the caller's to wipe */
    sm_wipe(opened, sizeof opened);

    uint8_t impostor_key[SM_KEY_BYTES];
    const int other = verify_one(engine, stored, len, impostor, impostor_key);
    sm_wipe(impostor_key, sizeof impostor_key);
    printf("impostor: %s\n", other == SM_ACCEPT ? "accepted" : "rejected");
    ok = genuine == SM_ACCEPT && sealed_ok && other == SM_REJECT;
    free(stored);
  }
  sm_engine_free(engine);
  sm_params_free(params);
  printf("%s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
