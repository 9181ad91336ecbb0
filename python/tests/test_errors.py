# Engine errors arrive as spheremask.Error subclasses carrying the engine's message and code.
import numpy as np
import pytest

import spheremask
from conftest import M, unit_rows


def test_error_hierarchy():
    assert issubclass(spheremask.InvalidArgumentError, spheremask.Error)
    assert issubclass(spheremask.InvalidArgumentError, ValueError)
    assert spheremask.InvalidRecordError.code == 2
    assert spheremask.TamperedError.code == 3


def test_weak_parameters_refused():
    with pytest.raises(spheremask.WeakParametersError, match="80"):
        spheremask.Engine(m=64, alpha=4, backend="cpu")
    assert spheremask.Engine(m=64, alpha=4, backend="cpu", allow_weak=True).n == 64


def test_bad_arguments(engine, rng):
    with pytest.raises(spheremask.InvalidArgumentError, match="shape"):
        engine.enroll(np.zeros(M, np.float32))
    with pytest.raises(spheremask.InvalidArgumentError, match="row 1"):
        engine.enroll(np.vstack([unit_rows(rng, 1), np.zeros((1, M), np.float32)]))
    with pytest.raises(spheremask.InvalidArgumentError):
        spheremask.Engine(m=M, backend="tpu")
    with pytest.raises(spheremask.InvalidArgumentError, match="32 bytes"):
        engine.enroll(unit_rows(rng, 1), insecure_seed=b"short")


def test_invalid_record_names_index_and_field(engine, rng):
    t = unit_rows(rng, 2)
    records = engine.enroll(t)
    broken = b"XXXX" + records[1][4:]
    with pytest.raises(spheremask.InvalidRecordError, match="record 1.*magic"):
        engine.verify(t, [records[0], broken])


def test_mismatched_parameters(rng):
    small = spheremask.Engine(m=M, alpha=16, backend="cpu")
    other = spheremask.Engine(m=M, alpha=20, backend="cpu")
    records = small.enroll(unit_rows(rng, 1))
    with pytest.raises(spheremask.MismatchError):
        other.verify(unit_rows(rng, 1), records)


def test_missing_expander_file():
    with pytest.raises(spheremask.Error) as info:
        spheremask.Engine(m=M, expander="/nonexistent/expander.smte")
    assert "nonexistent" in str(info.value)
