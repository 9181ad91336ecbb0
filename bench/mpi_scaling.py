#!/usr/bin/env python3
"""spheremask-mpi on 1, 2, 3 ranks (CPU): sharded enrollment and 1:N identification, medians.

usage: bench/mpi_scaling.py BUILD_DIR [--records 600] [--probes 64] [--n 512] [--shards 6] [--repeats 3]
Prints one Markdown row per rank count. The identify answer must be the same for every rank count.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("build")
ap.add_argument("--records", type=int, default=600)
ap.add_argument("--probes", type=int, default=64)
ap.add_argument("--n", type=int, default=512)
ap.add_argument("--shards", type=int, default=6)
ap.add_argument("--repeats", type=int, default=3)
ap.add_argument("--ranks", default="1,2,3")
a = ap.parse_args()
tool = os.path.join(a.build, "host/mpi/spheremask-mpi")
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_btl_vader_single_copy_mechanism="none")

work = tempfile.mkdtemp(prefix="sm-mpi-bench-")
rng = np.random.default_rng(7)
t = rng.standard_normal((a.records, a.n)).astype(np.float32)
t /= np.linalg.norm(t, axis=1, keepdims=True)
half = a.probes // 2
noise = rng.standard_normal((a.probes, a.n)).astype(np.float32)
base = np.concatenate([t[:half], rng.standard_normal((a.probes - half, a.n)).astype(np.float32)])
base /= np.linalg.norm(base, axis=1, keepdims=True)
noise -= (noise * base).sum(axis=1, keepdims=True) * base
noise /= np.linalg.norm(noise, axis=1, keepdims=True)
probes = (np.cos(np.radians(30)) * base + np.sin(np.radians(30)) * noise).astype(np.float32)
np.save(f"{work}/x.npy", t)
np.save(f"{work}/y.npy", probes)
with open(f"{work}/ids.txt", "w") as f:
    f.write("".join(f"s{i:06d}\n" for i in range(a.records)))


def mpirun(k, args):
    t0 = time.monotonic()
    p = subprocess.run(["mpirun", "-np", str(k), "--oversubscribe", "--bind-to", "none", tool] + args,
                       capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise SystemExit(p.stderr)
    return time.monotonic() - t0, p.stdout


print(f"| ranks | shards | records | enroll wall s | enroll /s | identify wall s (median of {a.repeats}) "
      f"| slowest rank load s | slowest rank identify s | comparisons/s (identify_s) |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
answer = None
for k in [int(x) for x in a.ranks.split(",")]:
    store = f"{work}/store{k}"
    wall, out = mpirun(k, ["enroll", "--templates", f"{work}/x.npy", "--ids", f"{work}/ids.txt", "--shards", store,
                           "--shards-count", str(a.shards), "--backend", "cpu", "--batch", "64"])
    summary = json.loads(out)
    assert summary["records"] == a.records, summary
    walls, loads, idents = [], [], []
    for _ in range(a.repeats):
        w, out = mpirun(k, ["identify", "--shards", store, "--probes", f"{work}/y.npy", "--backend", "cpu", "--json"])
        j = json.loads(out)
        ranks = j.pop("ranks")
        matches = j["matches"]
        assert all(m["ids"] == [f"s{m['probe']:06d}"] for m in matches[:half]), "a genuine probe missed"
        assert all(m["ids"] == [] for m in matches[half:]), "an impostor matched"
        answer = answer or j
        assert j == answer, "answers differ between rank counts"
        walls.append(w)
        loads.append(max(r["load_s"] for r in ranks))
        idents.append(max(r["identify_s"] for r in ranks))
    ident = statistics.median(idents)
    print(f"| {k} | {a.shards} | {a.records} | {wall:.1f} | {a.records / wall:.0f} | {statistics.median(walls):.2f} "
          f"| {statistics.median(loads):.2f} | {ident:.2f} | {a.records * a.probes / ident:,.0f} |")
shutil.rmtree(work)
