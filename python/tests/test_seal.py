# seal / open_sealed under a released key, and the module-level helpers.
import pytest

import spheremask


def test_seal_round_trip_with_aad():
    key = bytes(range(32))
    sealed = spheremask.seal(key, b"secret payload", aad=b"record-id")
    assert sealed[:4] == b"SMSL" and len(sealed) == len(b"secret payload") + 34
    assert spheremask.open_sealed(key, sealed, aad=b"record-id") == b"secret payload"


def test_open_with_wrong_key_or_aad_fails():
    key = bytes(32)
    sealed = spheremask.seal(key, b"x")
    with pytest.raises(spheremask.CryptoError):
        spheremask.open_sealed(bytes([1]) * 32, sealed)
    with pytest.raises(spheremask.CryptoError):
        spheremask.open_sealed(key, sealed, aad=b"other")
    with pytest.raises(spheremask.InvalidArgumentError):
        spheremask.seal(b"short", b"x")


def test_helpers():
    assert spheremask.code_bits(512, 16) == pytest.approx(115.4, abs=0.1)
    assert spheremask.cuda_device_count() >= 0
    assert spheremask.__version__.count(".") == 2
