# Shared fixtures: small engines (n = m = 128, alpha = 16: 98 code bits, fast on the CPU) and
# reproducible synthetic templates. The test data is not secret: numpy's generator is fine here.
import numpy as np
import pytest

import spheremask

M = 128


@pytest.fixture(scope="session")
def engine():
    return spheremask.Engine(m=M, alpha=16, backend="cpu", threads=2)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def unit_rows(rng, k, m=M):
    t = rng.standard_normal((k, m)).astype(np.float32)
    return t / np.linalg.norm(t, axis=1, keepdims=True)


def nearby(rng, t, degrees):
    """Rows at exactly `degrees` from the rows of t (same person, new photo)."""
    noise = unit_rows(rng, t.shape[0], t.shape[1])
    noise -= (noise * t).sum(axis=1, keepdims=True) * t  # orthogonal to t
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    a = np.deg2rad(degrees)
    return (np.cos(a) * t + np.sin(a) * noise).astype(np.float32)
