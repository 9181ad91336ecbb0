# Engine(cuda_haar=..., gallery_cap_bytes=..., identify_tensor_cores=..., cuda_chunk_hash_on_device=...,
# batch_size=..., device=...): every value is checked on every backend (InvalidArgumentError naming the
# argument), and a CPU engine ignores the CUDA switches as the C++ engine does: with all of them set and a
# batch size that splits the calls, its records, decisions, keys and matches equal a plain engine's. What
# the switches do on a GPU is tested by the CUDA tests, not here.
import numpy as np
import pytest

import spheremask
from conftest import M, unit_rows

COUNT = 7
SEED = bytes([5]) * 32


def cpu_engine(**options):
    return spheremask.Engine(m=M, alpha=16, dtype="f16", backend="cpu", threads=2, **options)


@pytest.mark.parametrize("options", [
    {"cuda_haar": "auto"}, {"cuda_haar": "orgqr"}, {"cuda_haar": "wy"},
    {"gallery_cap_bytes": 0}, {"gallery_cap_bytes": 1 << 30},
    {"identify_tensor_cores": True}, {"identify_tensor_cores": np.bool_(False)},
    {"cuda_chunk_hash_on_device": False}, {"cuda_chunk_hash_on_device": True},
    {"batch_size": 0}, {"batch_size": 1}, {"device": 0}, {"device": 3},
])
def test_good_values_are_accepted(options):
    assert cpu_engine(**options).backend == "cpu"


@pytest.mark.parametrize("options, field", [
    ({"cuda_haar": "qr"}, "cuda_haar"), ({"cuda_haar": "WY"}, "cuda_haar"), ({"cuda_haar": ""}, "cuda_haar"),
    ({"gallery_cap_bytes": -1}, "gallery_cap_bytes"),
    ({"identify_tensor_cores": 1}, "identify_tensor_cores"), ({"identify_tensor_cores": None}, "identify_tensor_cores"),
    ({"identify_tensor_cores": "yes"}, "identify_tensor_cores"),
    ({"cuda_chunk_hash_on_device": 0}, "cuda_chunk_hash_on_device"),
    ({"batch_size": -1}, "batch_size"), ({"batch_size": -(1 << 40)}, "batch_size"),
    ({"device": -1}, "device"), ({"device": 1 << 31}, "device"),  # must not wrap into an ordinal
])
def test_bad_values_raise_naming_the_argument(options, field):
    with pytest.raises(spheremask.InvalidArgumentError, match=field):
        cpu_engine(**options)
    with pytest.raises(spheremask.InvalidArgumentError, match=field):  # checked before a backend is chosen
        spheremask.Engine(m=M, alpha=16, backend="auto", **options)


def test_cpu_engine_ignores_the_cuda_switches():
    plain = cpu_engine()
    switched = cpu_engine(cuda_haar="orgqr", gallery_cap_bytes=1, identify_tensor_cores=True,
                          cuda_chunk_hash_on_device=False, batch_size=3)  # 7 rows: batches of 3, 3, 1
    assert not plain.defers_checksums and not switched.defers_checksums
    rng = np.random.default_rng(61)
    t, impostors = unit_rows(rng, COUNT), unit_rows(rng, COUNT)
    records = plain.enroll(t, insecure_seed=SEED)
    assert switched.enroll(t, insecure_seed=SEED) == records
    for e in (plain, switched):
        assert e.verify_decisions(t, records).tolist() == [spheremask.ACCEPT] * COUNT
        assert e.verify_decisions(impostors, records).tolist() == [spheremask.REJECT] * COUNT
        assert e.identify(t, records) == [[i] for i in range(COUNT)]
    assert switched.derive_keys(t, records, "ctx") == plain.derive_keys(t, records, "ctx")
