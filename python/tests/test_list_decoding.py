# Engine(list_angle=..., list_max=...), list decoding, accepts probes within the angle that the plain engine
# rejects and releases the enrolled key; bad values, and the CUDA backend with it, raise InvalidArgumentError.
import numpy as np
import pytest

import spheremask
from conftest import M, nearby, unit_rows

COUNT = 8


@pytest.fixture(scope="module")
def listed():
    return spheremask.Engine(m=M, alpha=16, backend="auto", threads=2, allow_weak=True,
                             list_angle=38.0, list_max=1 << 17)


def test_list_engine_accepts_at_37_degrees_what_plain_rejects(engine, listed):
    rng = np.random.default_rng(38)
    t = unit_rows(rng, COUNT)
    records = engine.enroll(t)
    probes = nearby(rng, t, 37.0)
    assert listed.backend == "cpu"  # 'auto' picks the CPU for list decoding
    assert listed.verify(probes, records).tolist() == [True] * COUNT
    # The plain decoder takes about 5% of the probes at 37° (tests/decode/test_list_decode.cpp).
    assert engine.verify(probes, records).sum() < COUNT // 2
    keys = listed.derive_keys(probes, records, "login")
    assert keys == engine.derive_keys(t, records, "login")
    assert all(isinstance(k, bytes) and len(k) == 32 for k in keys)
    assert listed.identify(probes[[5, 2]], records) == [[5], [2]]
    assert listed.verify(unit_rows(rng, COUNT), records).tolist() == [False] * COUNT  # impostors


def test_list_angle_zero_is_the_plain_engine(engine):
    rng = np.random.default_rng(39)
    t = unit_rows(rng, COUNT)
    records = engine.enroll(t)
    probes = nearby(rng, t, 37.0)
    off = spheremask.Engine(m=M, alpha=16, backend="cpu", threads=2, list_angle=0.0)
    assert off.verify(probes, records).tolist() == engine.verify(probes, records).tolist()


@pytest.mark.parametrize("angle, cap, field", [
    (-1.0, 4096, "max_angle_deg"), (80.5, 4096, "max_angle_deg"), (float("nan"), 4096, "max_angle_deg"),
    (float("inf"), 4096, "max_angle_deg"), (30.0, 0, "max_candidates"), (30.0, (1 << 20) + 1, "max_candidates"),
    (30.0, -1, "list_max"), (30.0, (1 << 32) + 4096, "list_max"),  # must not wrap to a valid count
])
def test_bad_values_raise(angle, cap, field):
    with pytest.raises(spheremask.InvalidArgumentError, match=field):
        spheremask.Engine(m=M, alpha=16, backend="cpu", list_angle=angle, list_max=cap)


def test_cuda_backend_is_refused():
    with pytest.raises(spheremask.InvalidArgumentError, match="CPU backend only"):
        spheremask.Engine(m=M, alpha=16, backend="cuda", list_angle=30.0)
