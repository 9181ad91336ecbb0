#!/usr/bin/env bash
# run_fuzzer.sh HARNESS WORKDIR SEED_CORPUS SECONDS [libFuzzer options...]
# First replays every committed seed and regression input (a crash there fails at once), then fuzzes
# for SECONDS into a scratch corpus; crashers land in WORKDIR/artifacts.
set -euo pipefail
harness=$1 work=$2 seeds=$3 seconds=$4
shift 4
rm -rf "$work/corpus"
mkdir -p "$work/corpus" "$work/artifacts"
"$harness" -runs=0 "$@" "$seeds"
exec "$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$@" "$work/corpus" "$seeds"
