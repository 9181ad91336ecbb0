"""A minimal server-side flow with the spheremask Python module.

1. enrollment: protect a face template, keep only the record bytes (e.g. in a database);
2. later: a fresh template of the same person is verified against the stored bytes and
   releases a 32-byte key (here used to open a sealed payload); an impostor is rejected.
Templates come from a face recognizer in a real deployment; here they are synthetic.
Run: PYTHONPATH=<build>/python/module python3 examples/server_flow.py
"""
import sys

import numpy as np

import spheremask

M = 512  # template dimension of ArcFace-like recognizers


def main() -> int:
    rng = np.random.default_rng(2024)  # synthetic, non-secret test data
    engine = spheremask.Engine(m=M, alpha=16, backend="auto")
    print(f"spheremask {spheremask.__version__} on {engine.backend}")

    # Enrollment: the template is discarded, only the record bytes are stored.
    enrolled = rng.standard_normal((1, M)).astype(np.float32)
    stored = engine.enroll(enrolled)[0]
    print(f"enrolled: record of {len(stored)} bytes stored")

    # Later, at login: a new photo of the same person (about 17 degrees away).
    fresh = enrolled + 0.3 * rng.standard_normal((1, M)).astype(np.float32)
    key = engine.derive_keys(fresh, [stored], context="example/session-key")[0]
    print("genuine: ", "accepted, key released" if key is not None else "rejected")

    sealed_ok = False
    if key is not None:
        sealed = spheremask.seal(key, b"per-user secret", aad=stored[:16])
        sealed_ok = spheremask.open_sealed(key, sealed, aad=stored[:16]) == b"per-user secret"

    impostor = rng.standard_normal((1, M)).astype(np.float32)
    other = engine.verify(impostor, [stored])[0]
    print("impostor:", "accepted" if other else "rejected")

    ok = key is not None and sealed_ok and not other
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
