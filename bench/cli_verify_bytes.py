#!/usr/bin/env python3
"""`spheremask verify --records DIR` before and after it verified from the files' bytes: wall time, CPU time
(user + sys) and peak resident memory of each run, runs interleaved (before, after, before, ...) after one
warm-up run each (the records then come from the page cache), medians printed.

  cli_verify_bytes.py --before OLD_BIN --after NEW_BIN --templates X.npy --records DIR [--runs 5] [--threads 1]
"""
import argparse
import os
import statistics
import subprocess
import time


def run_once(binary, args):
    start = time.perf_counter()
    proc = subprocess.Popen([binary] + args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{binary} failed: exit {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, out.decode().strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", required=True)
    ap.add_argument("--after", required=True)
    ap.add_argument("--templates", required=True)
    ap.add_argument("--records", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", default="1")
    a = ap.parse_args()
    args = ["verify", "--templates", a.templates, "--records", a.records, "--backend", "cpu", "--threads", a.threads]
    with open("/proc/loadavg") as f:
        print("load before:", f.read().strip())
    runs = {"before": [], "after": []}
    outputs = {}
    for name in runs:  # warm-up: the page cache, the lane choice
        outputs[name] = run_once(getattr(a, name), args)[3]
    if outputs["before"] != outputs["after"]:
        raise SystemExit(f"outputs differ: {outputs}")
    for _ in range(a.runs):
        for name in runs:
            runs[name].append(run_once(getattr(a, name), args)[:3])
    with open("/proc/loadavg") as f:
        print("load after:", f.read().strip())
    print("output:", outputs["after"])
    for name, rs in runs.items():
        wall = [r[0] for r in rs]
        cpu = [r[1] for r in rs]
        rss = [r[2] for r in rs]
        print(f"{name}: wall median {statistics.median(wall):.3f} s [{min(wall):.3f}-{max(wall):.3f}], "
              f"cpu median {statistics.median(cpu):.3f} s [{min(cpu):.3f}-{max(cpu):.3f}], "
              f"peak RSS median {statistics.median(rss):.0f} MiB")
    print(f"after/before wall: {statistics.median([r[0] for r in runs['after']]) / statistics.median([r[0] for r in runs['before']]):.3f}, "
          f"cpu: {statistics.median([r[1] for r in runs['after']]) / statistics.median([r[1] for r in runs['before']]):.3f}")


if __name__ == "__main__":
    main()
