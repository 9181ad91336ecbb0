# Application keys: Engine(app_key=...) binds records; another key or none is a MismatchError; enrolling
# through an expander without a key is refused unless allow_weak.
import os
import subprocess

import pytest

import spheremask
from conftest import M, unit_rows


def test_app_key_binds_records(rng):
    t = unit_rows(rng, 2)
    keyed = spheremask.Engine(m=M, alpha=16, backend="cpu", app_key=b"\x01" * 32)
    records = keyed.enroll(t)
    assert keyed.verify(t, records).all()
    for other in (spheremask.Engine(m=M, alpha=16, backend="cpu", app_key=b"\x02" * 32),
                  spheremask.Engine(m=M, alpha=16, backend="cpu")):
        with pytest.raises(spheremask.MismatchError, match="application key"):
            other.verify(t, records)


def test_app_key_must_be_32_bytes():
    for bad in (b"", b"\x01" * 31, b"\x01" * 33):
        with pytest.raises(spheremask.InvalidArgumentError, match="32 bytes"):
            spheremask.Engine(m=M, alpha=16, backend="cpu", app_key=bad)


@pytest.fixture(scope="module")
def expander_file(tmp_path_factory):
    cli = os.environ.get("SPHEREMASK_CLI")
    if not cli:
        pytest.skip("SPHEREMASK_CLI is not set (ctest sets it): no way to make an expander file")
    path = tmp_path_factory.mktemp("te") / "te.smte"
    subprocess.run([cli, "expander", "init", "--m", "64", "--n", "128", "--seed", "1", "--out", str(path)],
                   check=True, capture_output=True)
    return str(path)


def test_expander_without_key_is_refused(expander_file, rng):
    t = unit_rows(rng, 1, 64)
    with pytest.raises(spheremask.WeakParametersError, match="attack invert"):
        spheremask.Engine(m=64, alpha=16, backend="cpu", expander=expander_file).enroll(t)
    weak = spheremask.Engine(m=64, alpha=16, backend="cpu", expander=expander_file, allow_weak=True)
    assert weak.verify(t, weak.enroll(t)).all()
    keyed = spheremask.Engine(m=64, alpha=16, backend="cpu", expander=expander_file, app_key=b"\x03" * 32)
    records = keyed.enroll(t)
    assert keyed.verify(t, records).all()
    with pytest.raises(spheremask.MismatchError):
        spheremask.Engine(m=64, alpha=16, backend="cpu", expander=expander_file).verify(t, records)
