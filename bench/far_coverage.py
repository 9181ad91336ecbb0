#!/usr/bin/env python3
"""Held-out coverage of `security --recommend --target-far`'s FAR bound on random identity splits.

For each seed: the people of a labelled set (.npy + labels) are shuffled and cut in half (calibration / held-out);
`security --recommend --target-far` runs on the calibration half, its choice is re-measured with `eval` on the
held-out half (another draw seed, the same number of impostor pairs). One JSON line per split on stdout: the
calibration FAR and its four upper ends (Wilson over pairs, one-way and crossed identity bootstraps, distinct pairs of
people),
the held-out FAR, and whether the held-out FAR is at or under the bound the recommendation quoted (and under the
rule used before: the larger of Wilson and the one-way identity bootstrap). A split where nothing can be certified
prints its error.

  python3 bench/far_coverage.py --cli build/host/cli/spheremask --npy ../shared/data/lfw_openface128.npy \
      --labels ../shared/data/lfw_openface128.labels.txt --splits 10 -- --enroll-samples 5 --probe-frames 3 --reserve 5

Arguments after `--` are protocol options passed to both commands. The face data never leaves the temporary folder.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np


def split(x, labels, seed, folder):
    names = sorted(set(labels))
    rng = np.random.default_rng(seed)
    cal_names = set(rng.permutation(names)[: len(names) // 2].tolist())
    out = {}
    for part, keep in (("cal", lambda l: l in cal_names), ("held", lambda l: l not in cal_names)):
        rows = [i for i, l in enumerate(labels) if keep(l)]
        np.save(folder / f"{part}.npy", np.ascontiguousarray(x[rows]))
        (folder / f"{part}.txt").write_text("".join(labels[i] + "\n" for i in rows))
        out[part] = (str(folder / f"{part}.npy"), str(folder / f"{part}.txt"))
    return out


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip()
    return json.loads(r.stdout), None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--npy", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--splits", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--target-far", default="1e-3")
    ap.add_argument("--mode", default="fast")
    ap.add_argument("--impostors", default="40000")
    ap.add_argument("protocol", nargs="*")
    a = ap.parse_args()
    x = np.load(a.npy, mmap_mode="r")
    labels = Path(a.labels).read_text().split("\n")[: x.shape[0]]
    common = ["--mode", a.mode, "--backend", "cpu", "--impostors", a.impostors] + a.protocol
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(a.first_seed, a.first_seed + a.splits):
            parts = split(x, labels, seed, Path(tmp))
            rec, err = run([a.cli, "security", "--recommend", "--target-far", a.target_far, "--templates", parts["cal"][0],
                            "--labels", parts["cal"][1], "--json", "--eval-seed", "1"] + common)
            if rec is None:
                print(json.dumps({"split_seed": seed, "error": err}), flush=True)
                continue
            c = rec["chosen"]
            cfg = dict(kv.split("=") for kv in c["config"].split())
            held, err = run([a.cli, "eval", "--templates", parts["held"][0], "--labels", parts["held"][1], "--json",
                             "--n", cfg["n"], "--alpha", cfg["alpha"], "--list-angle", cfg.get("list-angle", "0"),
                             "--list-max", cfg.get("list-max", "4096"), "--seed", "2"] + common)
            if held is None:
                print(json.dumps({"split_seed": seed, "config": c["config"], "error": err}), flush=True)
                continue
            print(json.dumps({
                "split_seed": seed, "config": c["config"], "list_angle_deg": c.get("list_angle_deg"), "calibration_identities": rec["calibration"]["identities"],
                "cal_far": c["far"], "cal_impostor_pairs": c["impostor_pairs"],
                "cal_accepted": round(c["far"] * c["impostor_pairs"]), "cal_wilson_hi": c["far_ci"][1],
                "cal_identity_hi": c["far_ci_identity"][1], "cal_crossed_hi": c["far_ci_crossed"][1],
                "cal_units_hi": c["far_ci_units"][1],
                "cal_units": c["far_units"], "cal_upper": c["far_upper"], "cal_tar": c["tar"],
                "held_far": held["far"], "held_accepted": held["impostor_accepted"], "held_tar": held["tar"],
                "held_under_upper": held["far"] <= c["far_upper"],
                "held_under_wilson": held["far"] <= c["far_ci"][1],
                # the rule before the bound from pairs of people: max(Wilson, one-way identity bootstrap)
                "held_under_old_rule": held["far"] <= max(c["far_ci"][1], c["far_ci_identity"][1]),
            }), flush=True)


if __name__ == "__main__":
    sys.exit(main())
