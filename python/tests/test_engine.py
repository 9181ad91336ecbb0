# The Engine on numpy arrays: enroll, verify, keys, identify, determinism and input validation.
import hashlib
import struct
import threading

import numpy as np
import pytest

import spheremask
from conftest import M, nearby, unit_rows


def test_enroll_returns_serialized_records(engine, rng):
    records = engine.enroll(unit_rows(rng, 3))
    assert len(records) == 3
    assert all(isinstance(r, bytes) and r[:4] == b"SMHD" for r in records)
    assert len(records[0]) == 136 + M * M * 4 + 64


def test_genuine_accepted_impostor_rejected(engine, rng):
    t = unit_rows(rng, 4)
    records = engine.enroll(t)
    genuine = engine.verify(nearby(rng, t, 20.0), records)
    assert genuine.dtype == np.bool_ and genuine.tolist() == [True] * 4
    assert engine.verify(unit_rows(rng, 4), records).tolist() == [False] * 4


def test_float64_input_is_converted(engine, rng):
    t = unit_rows(rng, 1)
    records = engine.enroll(t.astype(np.float64))
    assert engine.verify(t.astype(np.float64), records).tolist() == [True]


def test_tampered_record_is_false_and_code_tampered(engine, rng):
    t = unit_rows(rng, 1)
    record = bytearray(engine.enroll(t)[0])
    # Flip the lowest mantissa bit of P[0][0] (decoding is unchanged) and refresh the corruption
    # checksum (the SMHD v2 digest-tree root): only the MAC can catch it now.
    p_at = 136
    record[p_at] ^= 0x01
    body_end = len(record) - 64
    digests = b"".join(hashlib.sha256(bytes(record[i:min(i + 16384, body_end)])).digest()
                       for i in range(p_at, body_end, 16384))
    root = hashlib.sha256(b"spheremask/v2/root" + bytes(record[:p_at]) + struct.pack("<Q", len(digests) // 32) + digests)
    record[body_end:body_end + 32] = root.digest()
    assert engine.verify(t, [bytes(record)]).tolist() == [False]
    assert engine.verify_decisions(t, [bytes(record)]).tolist() == [spheremask.TAMPERED]


def test_derive_keys_same_for_genuine_none_for_impostor(engine, rng):
    t = unit_rows(rng, 2)
    records = engine.enroll(t)
    k1 = engine.derive_keys(nearby(rng, t, 15.0), records, "login")
    k2 = engine.derive_keys(nearby(rng, t, 15.0), records, b"login")
    assert all(isinstance(k, bytes) and len(k) == 32 for k in k1)
    assert k1 == k2
    assert k1 != engine.derive_keys(t, records, "payments")
    assert engine.derive_keys(unit_rows(rng, 2), records, "login") == [None, None]


def test_identify_finds_each_probe(engine, rng):
    gallery_t = unit_rows(rng, 5)
    gallery = engine.enroll(gallery_t)
    probes = nearby(rng, gallery_t[[3, 0]], 10.0)
    assert engine.identify(probes, gallery) == [[3], [0]]
    assert engine.identify(unit_rows(rng, 1), gallery) == [[]]


def test_insecure_seed_is_deterministic(engine, rng):
    t = unit_rows(rng, 2)
    seed = bytes(range(32))
    assert engine.enroll(t, insecure_seed=seed) == engine.enroll(t, insecure_seed=seed)
    assert engine.enroll(t) != engine.enroll(t)


def test_properties(engine):
    assert (engine.m, engine.n, engine.alpha, engine.backend) == (M, M, 16, "cpu")


def test_threads_may_share_an_engine(engine, rng):
    t = unit_rows(rng, 2)
    records = engine.enroll(t)
    results = []
    workers = [threading.Thread(target=lambda: results.append(engine.verify(t, records).tolist())) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert results == [[True, True]] * 4


def test_f16_records_verify(rng):
    e = spheremask.Engine(m=M, alpha=16, dtype="f16", backend="cpu")
    t = unit_rows(rng, 2)
    records = e.enroll(t)
    assert len(records[0]) == 136 + M * M * 2 + 64
    assert e.verify(t, records).tolist() == [True, True]


def test_enroll_mean_one_record_per_person_and_dropped_rows(engine, rng):
    centers = unit_rows(rng, 2)
    person0 = nearby(rng, np.repeat(centers[:1], 3, axis=0), 25.0)
    person1 = nearby(rng, np.repeat(centers[1:], 4, axis=0), 25.0)
    person1[2] = unit_rows(rng, 1)[0]  # a stranger among person 1's samples
    records, dropped = engine.enroll_mean([person0, person1], outlier_deg=60.0)
    assert len(records) == 2 and dropped == [[], [2]]
    assert engine.verify(centers, records).tolist() == [True, True]
    # One sample per person is plain enrollment, bit for bit (deterministic mode).
    seed = bytes(range(32))
    t = unit_rows(rng, 2)
    assert engine.enroll_mean([t[0], t[1:]], insecure_seed=seed)[0] == engine.enroll(t, insecure_seed=seed)


def test_enroll_mean_rejects_bad_samples(engine, rng):
    with pytest.raises(spheremask.InvalidArgumentError, match=r"samples\[1\] must have shape"):
        engine.enroll_mean([unit_rows(rng, 2), unit_rows(rng, 2, M + 1)])
    with pytest.raises(spheremask.InvalidArgumentError, match="group 1 has no samples"):
        engine.enroll_mean([unit_rows(rng, 2), np.zeros((0, M), np.float32)])
    bad = unit_rows(rng, 3)
    bad[2, 5] = np.nan
    with pytest.raises(spheremask.InvalidArgumentError, match="row 2"):
        engine.enroll_mean([bad])


def test_frames_per_probe_mean_and_any_of(engine, rng):
    t = unit_rows(rng, 2)
    records = engine.enroll(t)
    strangers = unit_rows(rng, 3)
    frames = np.vstack([strangers[0], t[0], strangers[1], strangers[2]])
    assert engine.verify(frames, records, frames_per_probe=2, any_of=True).tolist() == [True, False]
    keys = engine.derive_keys(frames, records, "ctx", frames_per_probe=2, any_of=True)
    assert keys[0] == engine.derive_keys(t[:1], records[:1], "ctx")[0] and keys[1] is None
    doubled = np.repeat(t, 2, axis=0)  # the mean of two copies is the template
    assert engine.verify(doubled, records, frames_per_probe=2).tolist() == [True, True]
    assert engine.identify(doubled, records, frames_per_probe=2) == [[0], [1]]
    with pytest.raises(spheremask.InvalidArgumentError, match="not a multiple of 3"):
        engine.verify(frames, records, frames_per_probe=3)
