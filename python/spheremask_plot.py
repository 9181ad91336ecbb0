"""DET plot of an `eval --sweep` output: protected operating points and the unprotected cosine matcher's curve.

    python3 -m spheremask_plot sweep.jsonl -o det.png        (with python/ on PYTHONPATH)
    python3 python/spheremask_plot.py sweep.jsonl -o det.png

Each JSON line is one configuration. Its protocol (enroll samples K, probe frames F, reserve) fixes a colour; the
unprotected matcher's curve of that protocol is a line, each protected configuration a marker with its 95% intervals
as error bars. Axes: false accept rate (x) against false reject rate 1 - TAR (y), both logarithmic; a rate of 0 is
drawn at half of one pair (0.5 / pairs) so that it stays on the log axis.
"""
import argparse
import json
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

MARKERS = "osD^vP*Xh<>"


def read_sweep(path):
    rows = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise SystemExit(f"spheremask_plot: {path}:{number}: not JSON ({e.msg})")
    if not rows:
        raise SystemExit(f"spheremask_plot: {path}: no configurations")
    return rows


def protocol_key(row):
    p = row.get("protocol", {})
    return (p.get("name", "all-pairs"), p.get("enroll_samples", 1), p.get("probe_frames", 1), p.get("reserve", 0))


def protocol_label(key):
    name, k, f, reserve = key
    if name == "all-pairs":
        return "single image, all pairs"
    return f"K={k} samples, F={f} frame{'s' if f > 1 else ''}" + (f", reserve {reserve}" if reserve != k else "")


def decoder_key(row):
    """(n, α, list angle or None): one marker per code and decoder."""
    c = row["config"]
    return (c["n"], c["alpha"], c.get("list_angle_deg"))


def floor_rate(rate, pairs):
    return max(rate, 0.5 / max(pairs, 1))


def plot(rows, out, title=None):
    fig, ax = plt.subplots(figsize=(7.5, 5.5), dpi=110)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    keys = []
    for row in rows:
        if protocol_key(row) not in keys:
            keys.append(protocol_key(row))
    alphas = sorted({decoder_key(row) for row in rows}, key=lambda k: (k[0], k[1], k[2] or 0))
    drawn_curves = set()
    for row in rows:
        key = protocol_key(row)
        colour = colours[keys.index(key) % len(colours)]
        gp, ip = row["genuine_pairs"], row["impostor_pairs"]
        if key not in drawn_curves:  # one unprotected curve per protocol (the same pairs for every α)
            drawn_curves.add(key)
            curve = row["baseline_curve"]
            xs = [floor_rate(f, ip) for f in curve["far"]]
            ys = [floor_rate(1 - t, gp) for t in curve["tar"]]
            ax.plot(xs, ys, "-", color=colour, lw=1.4, label=f"unprotected cosine, {protocol_label(key)}")
        x, y = floor_rate(row["far"], ip), floor_rate(1 - row["tar"], gp)
        xerr = [[x - floor_rate(row["far_ci"][0], ip)], [max(row["far_ci"][1] - x, 0)]]
        yerr = [[max(y - floor_rate(1 - row["tar_ci"][1], gp), 0)], [max(1 - row["tar_ci"][0] - y, 0)]]
        marker = MARKERS[alphas.index(decoder_key(row)) % len(MARKERS)]
        ax.errorbar([x], [y], xerr=xerr, yerr=yerr, fmt=marker, color=colour, ms=7, mec="black", mew=0.6, capsize=2,
                    lw=0.8)
    # Legend entries for the markers (code, bits) without repeating them per protocol.
    for i, (n, alpha, angle) in enumerate(alphas):
        bits = next(r["config"]["code_bits"] for r in rows if decoder_key(r) == (n, alpha, angle))
        decoder = f", list decoding within {angle:g}°" if angle else ""
        ax.plot([], [], MARKERS[i % len(MARKERS)], color="grey", mec="black", mew=0.6,
                label=f"protected C({n}, {alpha}), {bits:.1f} code bits{decoder}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(0.5 / max(max(r["impostor_pairs"] for r in rows), 1) / 1.5, 1.05)
    ax.set_ylim(top=1.05)
    ax.set_xlabel("false accept rate (impostor pairs accepted)")
    ax.set_ylabel("false reject rate (1 - TAR)")
    ax.set_title(title or "DET: protected operating points vs the unprotected matcher")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="spheremask_plot", description=__doc__.splitlines()[0])
    parser.add_argument("sweep", help="JSON lines written by `spheremask eval --sweep` (or single `eval --json` lines)")
    parser.add_argument("-o", "--out", required=True, help="image file (.png, .svg, .pdf)")
    parser.add_argument("--title", help="figure title")
    args = parser.parse_args(argv)
    rows = read_sweep(args.sweep)
    for number, row in enumerate(rows, 1):
        missing = [k for k in ("tar", "far", "tar_ci", "far_ci", "baseline_curve", "config") if k not in row]
        if missing:
            raise SystemExit(f"spheremask_plot: {args.sweep}: configuration {number} lacks {', '.join(missing)}")
    plot(rows, args.out, args.title)
    return 0


if __name__ == "__main__":
    sys.exit(main())
