#!/usr/bin/env bash
# Renders the DET plot of a small sweep: synthetic labelled templates -> `eval --sweep` -> spheremask_plot -> a PNG
# that exists, is non-empty and starts with the PNG signature. A malformed sweep file must be refused (exit != 0).
# Usage: run_plot_test.sh CLI PYTHON PYTHON_SRC_DIR WORK_DIR
set -euo pipefail
cli=$1 python=$2 src=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
"$python" - "$work" <<'PY'
import sys, numpy as np
work = sys.argv[1]
rng = np.random.default_rng(3)   # test data only
m, ids, per = 32, 40, 6
centres = rng.standard_normal((ids, m)); centres /= np.linalg.norm(centres, axis=1, keepdims=True)
rows = centres.repeat(per, axis=0) + 0.9 * rng.standard_normal((ids * per, m)) / np.sqrt(m)
np.save(f"{work}/t.npy", rows.astype(np.float32))
open(f"{work}/labels.txt", "w").write("".join(f"id-{i // per}\n" for i in range(ids * per)))
PY
"$cli" eval --templates "$work/t.npy" --labels "$work/labels.txt" --n 32 --allow-weak --backend cpu --mode fast \
  --impostors 2000 --sweep "alpha=4; alpha=6; alpha=4 enroll-samples=3 reserve=3; alpha=6 enroll-samples=3 reserve=3; alpha=4 list-angle=40" \
  > "$work/sweep.jsonl" 2> "$work/sweep.log"
[ "$(wc -l < "$work/sweep.jsonl")" -eq 5 ] || { echo "expected 5 sweep lines"; exit 1; }
PYTHONPATH="$src" "$python" -m spheremask_plot "$work/sweep.jsonl" -o "$work/det.png"
[ -s "$work/det.png" ] || { echo "det.png missing or empty"; exit 1; }
[ "$(head -c 8 "$work/det.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || { echo "det.png is not a PNG"; exit 1; }
echo '{"tar": 1}' > "$work/bad.jsonl"
if PYTHONPATH="$src" "$python" -m spheremask_plot "$work/bad.jsonl" -o "$work/bad.png" 2> "$work/bad.err"; then
  echo "a sweep line without far/config was accepted"; exit 1
fi
echo "plot_det: $(stat -c %s "$work/det.png") bytes"
