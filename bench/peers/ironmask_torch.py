#!/usr/bin/env python3
"""PyTorch peer: a straightforward batched implementation of the same IronMask scheme (DESIGN §3),
used as the baseline in bench/RESULTS.md. Enrollment: Haar Q from QR of a Gaussian batch with the sign
fix, the rank-2 rotation to a random codeword, verifier and MAC (hashlib/hmac, OpenSSL underneath).
Verification: batched P·t', top-α decode, verifier, MAC. Prints the same JSON keys as `spheremask bench`.
--from-bytes (verify): records are serialized (header ‖ P ‖ mac) outside the timing and each timed run
parses them back (P from the bytes into one tensor) before verifying: the server flow. This peer hashes P
once, for its MAC (no separate checksum).

Usage: ironmask_torch.py --op enroll|verify --n 512 --alpha 16 --count 64 --threads 1 [--device cpu|cuda]
       ironmask_torch.py --op enroll,verify --n 512,1024 --count 64,32 ...   (one JSON line per op and n,
       counts paired with the sizes; one interpreter start for all rows, which matters on a GPU lease)
Randomness here comes from torch's generator: fine for a speed baseline, NOT for protecting templates."""
import argparse, hashlib, hmac, json, os, secrets, statistics, struct, sys, time

import numpy as np
import torch


def encode(n, idx, neg):
    alpha = len(idx)
    out = b"SMCW" + struct.pack("<HIH", 1, n, alpha) + struct.pack("<%dI" % alpha, *idx)
    bitmap = bytearray((alpha + 7) // 8)
    for k, s in enumerate(neg):
        if s:
            bitmap[k // 8] |= 1 << (k % 8)
    return out + bytes(bitmap)


def haar_batch(b, n, dev, gen):
    g = torch.randn(b, n, n, device=dev, generator=gen)
    q, r = torch.linalg.qr(g)
    d = torch.sign(torch.diagonal(r, dim1=-2, dim2=-1))
    d[d == 0] = 1
    return q * d.unsqueeze(-2)


def header(n, alpha, salt, verifier):
    """The 132 record-header bytes the MAC covers (DESIGN §4), f32 P, no expander or app binding."""
    return b"SMHD" + struct.pack("<HHIIHBB", 1, 0, n, n, alpha, 0, 1) + bytes(64) + salt + verifier


def enroll(t, alpha, gen):
    b, n = t.shape
    dev = t.device
    t = t / t.norm(dim=1, keepdim=True)
    q = haar_batch(b, n, dev, gen)
    c = torch.zeros(b, n, device=dev)
    idxs, negs = [], []
    for i in range(b):
        idx = sorted(secrets.SystemRandom().sample(range(n), alpha))
        neg = [secrets.randbits(1) for _ in idx]
        c[i, idx] = torch.tensor([-1.0 if s else 1.0 for s in neg], device=dev) / alpha ** 0.5
        idxs.append(idx); negs.append(neg)
    u = torch.bmm(q, t.unsqueeze(-1)).squeeze(-1)
    cos = (u * c).sum(1, keepdim=True)
    w = c - cos * u
    sin = w.norm(dim=1, keepdim=True)
    w = w / sin
    cq = torch.bmm(c.unsqueeze(1), q).squeeze(1)
    wq = (cq - cos * t) / sin
    a = (cos - 1) * t - sin * wq
    bb = sin * t + (cos - 1) * wq
    p = q + u.unsqueeze(2) * a.unsqueeze(1) + w.unsqueeze(2) * bb.unsqueeze(1)
    p_host = np.ascontiguousarray(p.cpu().numpy())  # row-major bytes, as a record stores P
    records = []
    for i in range(b):
        salt = secrets.token_bytes(16)
        enc = encode(n, idxs[i], negs[i])
        verifier = hashlib.sha256(b"spheremask/v1/verifier" + salt + enc).digest()
        prk = hmac.new(salt, enc, hashlib.sha256).digest()
        mac_key = hmac.new(prk, b"spheremask/v1/mac\x01", hashlib.sha256).digest()
        mac = record_mac(mac_key, header(n, alpha, salt, verifier), p_host[i])
        records.append((salt, verifier, mac))
    return p, records


def record_mac(mac_key, head, p_row):
    """HMAC-SHA-256(mac_key, header ‖ P), P (row-major) fed as a buffer without a copy per record."""
    h = hmac.new(mac_key, head, hashlib.sha256)
    h.update(memoryview(p_row).cast("B"))
    return h.digest()


def verify(p, records, t, alpha, memo=None):
    """memo (dict, optional): record index -> MAC outcome, as a resident gallery remembers it after the
    first match (same semantics as spheremask's Engine::load_gallery)."""
    b, n = t.shape
    t = t / t.norm(dim=1, keepdim=True)
    y = torch.bmm(p, t.unsqueeze(-1)).squeeze(-1)
    top = torch.topk(y.abs(), alpha, dim=1).indices.sort(dim=1).values
    neg = (torch.gather(y, 1, top) < 0)
    top, neg, p_host = top.cpu().tolist(), neg.cpu().tolist(), None
    accepted = 0
    for i in range(b):
        salt, verifier, mac = records[i]
        enc = encode(n, top[i], neg[i])
        if not hmac.compare_digest(hashlib.sha256(b"spheremask/v1/verifier" + salt + enc).digest(), verifier):
            continue
        if memo is not None and i in memo:
            accepted += memo[i]
            continue
        if p_host is None:
            p_host = np.ascontiguousarray(p.cpu().numpy())
        prk = hmac.new(salt, enc, hashlib.sha256).digest()
        mac_key = hmac.new(prk, b"spheremask/v1/mac\x01", hashlib.sha256).digest()
        ok = hmac.compare_digest(record_mac(mac_key, header(n, alpha, salt, verifier), p_host[i]), mac)
        if memo is not None:
            memo[i] = int(ok)
        accepted += int(ok)
    return accepted


def serialize_records(p, records, alpha):
    """header ‖ P (f32, row-major) ‖ mac for each record."""
    b, n, _ = p.shape
    p_host = np.ascontiguousarray(p.cpu().numpy())
    return [header(n, alpha, salt, verifier) + p_host[i].tobytes() + mac
            for i, (salt, verifier, mac) in enumerate(records)]


def parse_records(blobs, n, dev):
    """Back from bytes: checks magic and length, P of every record into one (b, n, n) tensor."""
    p_bytes = n * n * 4
    p = np.empty((len(blobs), n, n), dtype=np.float32)
    records = []
    for i, blob in enumerate(blobs):
        if blob[:4] != b"SMHD" or len(blob) != 132 + p_bytes + 32:
            raise ValueError("record %d is not a peer record" % i)
        p[i] = np.frombuffer(blob, dtype="<f4", count=n * n, offset=132).reshape(n, n)
        records.append((blob[84:100], blob[100:132], blob[132 + p_bytes:]))
    return torch.from_numpy(p).to(dev), records


def probes_at(t, deg, gen):
    z = torch.randn(t.shape, device=t.device, generator=gen)
    t = t / t.norm(dim=1, keepdim=True)
    z = z - (z * t).sum(1, keepdim=True) * t
    z = z / z.norm(dim=1, keepdim=True)
    a = np.radians(deg)
    return np.cos(a) * t + np.sin(a) * z


def int_list(text):
    return [int(x) for x in text.split(",")]


def run_row(op, n, alpha, count, repeats, resident, dev, threads, from_bytes=False):
    sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)
    gen = torch.Generator(device=dev)
    gen.manual_seed(1)
    t = torch.randn(count, n, device=dev, generator=gen)
    times, cpu_times, accepted = [], [], None
    if op == "enroll":
        enroll(t[:2], alpha, gen); sync()
        for _ in range(repeats):
            t0 = time.perf_counter(); enroll(t, alpha, gen); sync(); times.append(time.perf_counter() - t0)
    else:
        p, records = enroll(t, alpha, gen)
        # Records are verified as they are stored and loaded: P row-major. (enroll's P keeps the strides
        # of QR's column-major Q; verifying that layout halved this peer's rate.)
        p = p.contiguous()
        probes = probes_at(t, 30.0, gen)
        memo = {} if resident else None
        if from_bytes:
            blobs = serialize_records(p, records, alpha)

            def step():
                pp, recs = parse_records(blobs, n, dev)
                return verify(pp, recs, probes, alpha)
        else:
            def step():
                return verify(p, records, probes, alpha, memo)
        step(); sync()
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            accepted = step(); sync()
            times.append(time.perf_counter() - t0)
            cpu_times.append(time.process_time() - c0)
    sec = statistics.median(times)
    out = {"op": op, "n": n, "alpha": alpha, "backend": "torch-" + dev.type, "threads": threads,
           "count": count, "per_second": count / sec, "seconds": sec, "repeats": repeats,
           "torch": torch.__version__}
    if accepted is not None:
        out["accepted"] = accepted
        if dev.type == "cpu" and threads == 1:  # process CPU time: leaves out waiting for a core
            out["cpu_time"] = {"per_second": count / statistics.median(cpu_times)}
        out["resident"] = resident
        out["from_bytes"] = from_bytes
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--op", default="enroll", help="enroll, verify, or a comma-separated list of both")
    ap.add_argument("--n", type=int_list, default=[512], help="one size or a comma-separated list")
    ap.add_argument("--alpha", type=int, default=16)
    ap.add_argument("--count", type=int_list, default=[32], help="one count for all sizes, or one per size")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--resident", action="store_true",
                    help="verify: remember each record's MAC outcome after its first match (resident gallery)")
    ap.add_argument("--from-bytes", action="store_true",
                    help="verify: parse serialized records (header ‖ P ‖ mac) in every timed run, then verify")
    args = ap.parse_args()
    if args.from_bytes and args.resident:
        ap.error("--from-bytes and --resident exclude each other")
    ops = args.op.split(",")
    if any(op not in ("enroll", "verify") for op in ops):
        ap.error("--op takes enroll, verify or both")
    counts = args.count * len(args.n) if len(args.count) == 1 else args.count
    if len(counts) != len(args.n):
        ap.error("--count needs one value or one per size")
    torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    for n, count in zip(args.n, counts):
        for op in ops:
            row = run_row(op, n, args.alpha, count, args.repeats, args.resident, dev, args.threads,
                          args.from_bytes and op == "verify")
            print(json.dumps(row), flush=True)
            if dev.type == "cuda":
                torch.cuda.empty_cache()

if __name__ == "__main__":
    main()
