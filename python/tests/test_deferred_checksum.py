# verify / verify_decisions / derive_keys(defer_checksum=True): v2 records are parsed without hashing P and
# the engine settles each root from the P it verifies with before deciding (C++:
# tests/format/test_pending_checksum.cpp). A flipped byte of P or of the checksum is TAMPERED for that record
# alone, for genuine and impostor probes, with no key; clean records decide and release keys as checked
# ones; multi-frame verification cannot settle a pending root and is refused.
import numpy as np
import pytest

import spheremask
from conftest import M, unit_rows

COUNT = 3
HEADER = 136          # SMHD v2 header
CHUNK = 16384         # v2: P is hashed in chunks of this many bytes
P_BYTES = M * M * 4   # f32


@pytest.fixture(scope="module")
def enrolled(engine):
    rng = np.random.default_rng(71)
    t, impostors = unit_rows(rng, COUNT), unit_rows(rng, COUNT)
    return t, impostors, engine.enroll(t)


def test_clean_records_decide_and_release_keys_as_checked_ones(engine, enrolled):
    t, impostors, records = enrolled
    assert engine.defers_checksums is False  # the CPU: deferring only moves the pass over P
    assert engine.verify_decisions(t, records, defer_checksum=True).tolist() == [spheremask.ACCEPT] * COUNT
    assert engine.verify(impostors, records, defer_checksum=True).tolist() == [False] * COUNT
    keys = engine.derive_keys(t, records, "ctx", defer_checksum=True)
    assert keys == engine.derive_keys(t, records, "ctx")
    assert all(isinstance(k, bytes) and len(k) == 32 for k in keys)


@pytest.mark.parametrize("what, at", [
    ("P[0]", HEADER), ("P at the first chunk boundary", HEADER + CHUNK),
    ("P's last entry", HEADER + P_BYTES - 4),  # low byte: P stays finite
    ("checksum", HEADER + P_BYTES),
])
def test_flipped_byte_is_tampered(engine, enrolled, what, at):
    t, impostors, records = enrolled
    bad = bytearray(records[1])
    bad[at] ^= 0x02
    bad_records = [records[0], bytes(bad), records[2]]
    with pytest.raises(spheremask.InvalidRecordError, match="record 1.*checksum"):  # the checked parse
        engine.verify(t, bad_records)
    T, A, R = spheremask.TAMPERED, spheremask.ACCEPT, spheremask.REJECT
    assert engine.verify_decisions(t, bad_records, defer_checksum=True).tolist() == [A, T, A]
    assert engine.verify_decisions(impostors, bad_records, defer_checksum=True).tolist() == [R, T, R]
    assert engine.verify(t, bad_records, defer_checksum=True).tolist() == [True, False, True]
    keys = engine.derive_keys(t, bad_records, "ctx", defer_checksum=True)
    assert keys[1] is None and keys[0] is not None and keys[2] is not None


def test_malformed_records_are_refused_at_the_deferred_parse(engine, enrolled):
    t, _, records = enrolled
    with pytest.raises(spheremask.InvalidRecordError, match="record 2"):
        engine.verify(t, [records[0], records[1], records[2][:-1]], defer_checksum=True)


def test_multi_frame_verification_refuses_it(engine, enrolled):
    t, _, records = enrolled
    frames = np.repeat(t, 2, axis=0)
    for call in (lambda: engine.verify(frames, records, frames_per_probe=2, defer_checksum=True),
                 lambda: engine.derive_keys(frames, records, "ctx", frames_per_probe=2, defer_checksum=True)):
        with pytest.raises(spheremask.InvalidArgumentError, match="defer_checksum"):
            call()
    assert engine.verify(frames, records, frames_per_probe=2).tolist() == [True] * COUNT  # checked: fine
