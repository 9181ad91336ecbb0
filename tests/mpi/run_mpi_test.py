#!/usr/bin/env python3
"""spheremask-mpi end to end under mpirun (3 ranks, CPU, n = 128).

  equal    sharded enroll + identify == single-process enroll + identify on the same records;
           shards are ordinary stores; verify routed to the owning rank; rerun resumes with nothing to do
  resume   kill -9 of one rank mid-enrollment fails the job (no hang); rerun reaches the full count,
           no id lost or duplicated, records identical to an uninterrupted run
  corrupt  a missing, corrupt, foreign or misplaced shard fails fast with the shard named by rank 0

usage: run_mpi_test.py CASE SPHEREMASK_MPI SPHEREMASK_CLI MPIEXEC
"""
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

import numpy as np

CASE, MPI_TOOL, CLI, MPIEXEC = sys.argv[1:5]
RANKS = 3
SEED = "5a" * 32
ENV = dict(os.environ)
# CI runs as root; OpenMPI's documented switches, set here only.
ENV.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           # containers often forbid the cross-memory-attach copy; plain shared memory works everywhere
           OMPI_MCA_btl_vader_single_copy_mechanism="none")
FAIL_FAST_S = 30  # a failing job must end well within this


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def run(args, timeout=120, env=None):
    t0 = time.monotonic()
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env or ENV)
    except subprocess.TimeoutExpired:
        fail(f"timed out after {timeout} s (hang?): {' '.join(args)}")
    return p.returncode, p.stdout, p.stderr, time.monotonic() - t0


def mpi(args, ranks=RANKS, timeout=120, env=None):
    return run([MPIEXEC, "-np", str(ranks), "--oversubscribe", MPI_TOOL] + args, timeout, env)


def ok(result, what):
    rc, out, err, _ = result
    check(rc == 0, f"{what} exited {rc}\nstdout: {out}\nstderr: {err}")
    return out


def home_shard(i, shards):
    return int.from_bytes(hashlib.sha256(i.encode()).digest()[:8], "big") % shards


def shard_rows(directory, shards):
    """id -> (shard, record blob) over every shard; fails on an id stored twice."""
    rows = {}
    for s in range(shards):
        db = sqlite3.connect(f"file:{directory}/shard-{s:04d}.sqlite?mode=ro", uri=True)
        for i, blob in db.execute("SELECT id, record FROM records"):
            check(i not in rows, f"id {i} stored twice (shards {rows.get(i, (None,))[0]} and {s})")
            rows[i] = (s, bytes(blob))
        db.close()
    return rows


def store_rows(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = {i: bytes(b) for i, b in db.execute("SELECT id, record FROM records")}
    db.close()
    return rows


def make_inputs(work, count, extra_probes=0):
    """count enrolled templates; probes: a genuine probe (20 degrees away) per template, plus impostors."""
    rng = np.random.default_rng(12345)
    t = rng.standard_normal((count + extra_probes, 128)).astype(np.float32)
    t /= np.linalg.norm(t, axis=1, keepdims=True)
    noise = rng.standard_normal(t.shape).astype(np.float32)
    noise -= (noise * t).sum(axis=1, keepdims=True) * t
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    probes = (np.cos(np.radians(20)) * t + np.sin(np.radians(20)) * noise).astype(np.float32)
    np.save(f"{work}/x.npy", t[:count])
    np.save(f"{work}/y.npy", probes)
    ids = [f"person-{i:03d}" for i in range(count)]
    with open(f"{work}/ids.txt", "w") as f:
        f.write("\n".join(ids) + "\n")
    return ids


def enroll_args(work, shards, extra=()):
    return ["enroll", "--templates", f"{work}/x.npy", "--ids", f"{work}/ids.txt", "--shards", f"{work}/store",
            "--shards-count", str(shards), "--insecure-seed", SEED, "--backend", "cpu", "--threads", "1"] + list(extra)


def single_store(work):
    ok(run([CLI, "enroll", "--templates", f"{work}/x.npy", "--ids", f"{work}/ids.txt", "--store", f"{work}/union.sqlite",
            "--insecure-seed", SEED, "--backend", "cpu", "--threads", "1"]), "single-process enroll")
    return store_rows(f"{work}/union.sqlite")


def case_equal(work):
    shards, count = 5, 60
    ids = make_inputs(work, count, extra_probes=10)
    summary = json.loads(ok(mpi(enroll_args(work, shards, ["--batch", "7"])), "mpi enroll"))
    check(summary["records"] == count and summary["enrolled"] == count and summary["skipped"] == 0, f"summary {summary}")
    check(len(summary["per_rank"]) == RANKS and summary["shards"] == shards, f"summary {summary}")
    manifest = json.load(open(f"{work}/store/manifest.json"))
    check(manifest["shards"] == shards and manifest["n"] == 128 and manifest["dtype"] == "f16", f"manifest {manifest}")

    # Same records as one process enrolling the whole input (deterministic mode: byte-identical),
    # each in its home shard.
    sharded = shard_rows(f"{work}/store", shards)
    union = single_store(work)
    check(set(sharded) == set(ids) == set(union), "sharded and single-process stores hold different ids")
    for i, (s, blob) in sharded.items():
        check(s == home_shard(i, shards), f"id {i} in shard {s}, expected {home_shard(i, shards)}")
        check(blob == union[i], f"record of {i} differs from the single-process one")

    # 1:N: identical JSON apart from the per-rank timing.
    probes = ["--probes", f"{work}/y.npy", "--json"]
    sharded_json = json.loads(ok(mpi(["identify", "--shards", f"{work}/store", "--backend", "cpu"] + probes),
                                 "mpi identify"))
    single_json = json.loads(ok(run([CLI, "identify", "--store", f"{work}/union.sqlite", "--backend", "cpu"] + probes),
                                "single identify"))
    ranks = sharded_json.pop("ranks")
    check(sharded_json == single_json, f"identify differs:\nmpi    {sharded_json}\nsingle {single_json}")
    check(len(ranks) == RANKS and sum(r["records"] for r in ranks) == count, f"ranks {ranks}")
    genuine = sum(1 for m in single_json["matches"][:count] if ids[m["probe"]] in m["ids"])
    impostor = sum(len(m["ids"]) for m in single_json["matches"][count:])
    check(genuine >= count * 0.9 and impostor == 0, f"{genuine}/{count} genuine matches, {impostor} impostor matches")

    # Any shard is an ordinary store for the plain CLI.
    one = json.loads(ok(run([CLI, "identify", "--store", f"{work}/store/shard-0001.sqlite", "--backend", "cpu"] + probes),
                        "single identify on one shard"))
    for m in one["matches"]:
        check(m["ids"] == [i for i in single_json["matches"][m["probe"]]["ids"] if home_shard(i, shards) == 1],
              f"shard 1 alone gives {m}")

    # 1:1, routed to the owner of the id's shard.
    for row, claim, expected in [(3, ids[3], "accept"), (4, ids[3], "reject")]:
        out = json.loads(ok(mpi(["verify", "--shards", f"{work}/store", "--id", claim, "--templates", f"{work}/y.npy",
                                 "--row", str(row), "--backend", "cpu", "--json"]), "mpi verify"))
        check(out == {"id": claim, "row": row, "decision": expected}, f"verify {claim} row {row}: {out}")
    rc, out, err, _ = mpi(["verify", "--shards", f"{work}/store", "--id", "nobody", "--templates", f"{work}/y.npy",
                           "--backend", "cpu"])
    check(rc != 0 and out == "" and "nobody" in err, f"unknown id: rc {rc}, out {out!r}, err {err!r}")

    # A rerun has nothing left to do; other parameters are refused before anything is written.
    again = json.loads(ok(mpi(enroll_args(work, shards)), "mpi enroll rerun"))
    check(again["enrolled"] == 0 and again["skipped"] == count and again["records"] == count, f"rerun {again}")
    rc, out, err, _ = mpi(enroll_args(work, shards, ["--alpha", "24"]))
    check(rc != 0 and "(mismatch)" in err and "alpha=16" in err, f"foreign parameters: rc {rc} err {err!r}")


def case_resume(work):
    shards, count = 3, 90
    ids = make_inputs(work, count)
    p = subprocess.Popen([MPIEXEC, "-np", str(RANKS), "--oversubscribe", MPI_TOOL] +
                         enroll_args(work, shards, ["--batch", "2", "--batch-pause-ms", "150"]),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    # Wait until some batches are committed, then SIGKILL rank 1 (found by its launcher-given rank).
    victim, deadline = None, time.monotonic() + 60
    while victim is None and time.monotonic() < deadline:
        time.sleep(0.2)
        try:
            committed = len(shard_rows(f"{work}/store", shards))
        except sqlite3.Error:
            continue
        if committed < 6:
            continue
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                environ = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
                ppid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if ppid == p.pid and b"OMPI_COMM_WORLD_RANK=1" in environ:
                victim = int(pid)
    if victim is None:
        p.kill()
        fail("rank 1 was not found while enrolling")
    os.kill(victim, signal.SIGKILL)
    t0 = time.monotonic()
    try:
        p.communicate(timeout=FAIL_FAST_S)
    except subprocess.TimeoutExpired:
        p.kill()
        fail(f"the job hung after rank 1 was killed")
    check(p.returncode != 0, "the job reported success after a rank was killed")
    print(f"job ended {time.monotonic() - t0:.1f} s after kill -9 of rank 1, exit {p.returncode}")
    partial = shard_rows(f"{work}/store", shards)
    check(0 < len(partial) < count, f"{len(partial)} of {count} committed: the kill did not land mid-enrollment")

    summary = json.loads(ok(mpi(enroll_args(work, shards, ["--batch", "2"])), "resumed enroll"))
    check(summary["skipped"] == len(partial) and summary["enrolled"] == count - len(partial) and
          summary["records"] == count, f"resume summary {summary} after {len(partial)} committed")
    final = shard_rows(f"{work}/store", shards)  # fails on any id stored twice
    check(set(final) == set(ids), "ids lost")
    for i, (s, blob) in partial.items():
        check(final[i][1] == blob, f"the committed record of {i} changed on resume")
    union = single_store(work)
    check(all(final[i][1] == union[i] for i in ids), "resumed records differ from an uninterrupted enrollment")
    print(f"resumed: {len(partial)} kept, {count - len(partial)} enrolled, {count} in all, no duplicates")


def case_corrupt(work):
    shards, count = 3, 30
    make_inputs(work, count)
    ok(mpi(enroll_args(work, shards)), "mpi enroll")
    store = f"{work}/store"
    identify = ["identify", "--shards", store, "--probes", f"{work}/y.npy", "--backend", "cpu", "--json"]

    def expect_fast_failure(what, needle):
        rc, out, err, took = mpi(identify, timeout=FAIL_FAST_S)
        check(rc != 0 and out == "", f"{what}: rc {rc}, stdout {out!r}")
        check(needle in err and "spheremask-mpi: error" in err, f"{what}: stderr does not name {needle!r}: {err!r}")
        check(took < FAIL_FAST_S, f"{what}: took {took:.1f} s")
        print(f"{what}: failed in {took:.1f} s:", next(l for l in err.splitlines() if "spheremask-mpi: error" in l))

    keep = f"{work}/keep.sqlite"
    shutil.copy(f"{store}/shard-0002.sqlite", keep)
    os.remove(f"{store}/shard-0002.sqlite")
    expect_fast_failure("missing shard", "shard-0002.sqlite is missing")
    with open(f"{store}/shard-0002.sqlite", "wb") as f:
        f.write(os.urandom(65536))
    expect_fast_failure("garbage shard", "shard-0002.sqlite")
    shutil.copy(keep, f"{store}/shard-0002.sqlite")
    for suffix in ("-wal", "-shm"):
        if os.path.exists(f"{store}/shard-0002.sqlite{suffix}"):
            os.remove(f"{store}/shard-0002.sqlite{suffix}")

    # A flipped byte inside one record's P: the record's checksum names it.
    db = sqlite3.connect(f"{store}/shard-0001.sqlite")
    victim, blob = db.execute("SELECT id, record FROM records ORDER BY id LIMIT 1").fetchone()
    bad = bytearray(blob)
    bad[200] ^= 0x40
    db.execute("UPDATE records SET record = ? WHERE id = ?", (bytes(bad), victim))
    db.commit()
    expect_fast_failure("corrupt record", victim)
    db.execute("UPDATE records SET record = ? WHERE id = ?", (blob, victim))
    db.commit()
    db.close()

    # Misplaced: two shard files swapped.
    os.rename(f"{store}/shard-0000.sqlite", f"{work}/s0")
    os.rename(f"{store}/shard-0001.sqlite", f"{store}/shard-0000.sqlite")
    os.rename(f"{work}/s0", f"{store}/shard-0001.sqlite")
    expect_fast_failure("swapped shards", "belongs in shard")
    os.rename(f"{store}/shard-0000.sqlite", f"{work}/s0")
    os.rename(f"{store}/shard-0001.sqlite", f"{store}/shard-0000.sqlite")
    os.rename(f"{work}/s0", f"{store}/shard-0001.sqlite")

    # Foreign: a shard of another store (alpha 24) dropped in.
    os.makedirs(f"{work}/other")
    for name in ("x.npy", "ids.txt"):
        shutil.copy(f"{work}/{name}", f"{work}/other/{name}")
    ok(mpi(enroll_args(f"{work}/other", shards, ["--alpha", "24"])), "other enroll")
    shutil.copy(f"{store}/shard-0002.sqlite", keep)
    shutil.copy(f"{work}/other/store/shard-0002.sqlite", f"{store}/shard-0002.sqlite")
    expect_fast_failure("foreign shard", "alpha=24")
    shutil.copy(keep, f"{store}/shard-0002.sqlite")
    ok(mpi(identify), "identify after repair")


def main():
    work = tempfile.mkdtemp(prefix=f"spheremask-mpi-{CASE}-")
    try:
        {"equal": case_equal, "resume": case_resume, "corrupt": case_corrupt}[CASE](work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"PASS: {CASE}")


if __name__ == "__main__":
    main()
