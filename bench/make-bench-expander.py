#!/usr/bin/env python3
"""Writes an SMTE v1 file (DESIGN §3, include/spheremask/expander_file.hpp) for timing `expander train`
at large n without `expander init`, whose single-threaded Haar of 2n takes about 450 s at n = 4096 on
the host: W_s = the first m columns of the 2n×2n identity (orthonormal, as the reader checks), W0…W2 and
W4 identity, W3 the first n rows of the identity. Training time does not depend on the weights' values
(every GEMM and kernel does the same work), but the weights are not a usable expander: benchmarks only.
Standard library only. Usage: make-bench-expander.py M N OUT"""
import hashlib
import struct
import sys
from array import array


def identity_rows(rows, cols):
    a = array("f", bytes(4 * rows * cols))
    for i in range(min(rows, cols)):
        a[i * cols + i] = 1.0
    return a


def main():
    m, n, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    d = 2 * n
    assert 1 <= m <= d and 2 <= n <= 16384
    summary = b'{"init":{"method":"identity-benchmark-only"}}'
    arch = b"ironmask-te-v1".ljust(32, b"\0")
    header = b"SMTE" + struct.pack("<HBBII", 1, 0, 0, m, n) + arch + struct.pack("<I", len(summary))
    body = hashlib.sha256()
    with open(out, "wb") as f:
        def emit(b):
            body.update(b)
            f.write(b)
        emit(header)
        emit(summary)
        ws = array("f", bytes(4 * d * m))  # 2n×m row-major, column j = e_j
        for j in range(m):
            ws[j * m + j] = 1.0
        emit(ws.tobytes())
        for rows, cols in ((d, d), (d, d), (d, d), (n, d), (n, n)):
            emit(identity_rows(rows, cols).tobytes())
        f.write(body.digest())


if __name__ == "__main__":
    main()
