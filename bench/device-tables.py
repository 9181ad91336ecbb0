#!/usr/bin/env python3
"""Tables for bench/device-check.sh: each GPU bench row next to its floor (DESIGN §5) and the PyTorch
peer's row of the same op, n and mode, measured in the same call.
Usage: GPU_NAME="NVIDIA H100 80GB HBM3" device-tables.py BENCH.jsonl OUT-DIR  -> OUT-DIR/results.{json,md}"""
import json, os, sys
raw, out = sys.argv[1], sys.argv[2]
name = os.environ.get("GPU_NAME", "")
# (HBM bytes/s as measured in DESIGN §5 where known, FP32 non-tensor peak flop/s from the datasheets)
table = [("H200", 4.3e12, 66.9e12), ("H100 PCIe", 2.0e12, 51.2e12), ("H100", 3.0e12, 66.9e12)]
hbm, fp32, known = 3.0e12, 66.9e12, False
for key, bw, peak in table:
    if key in name:
        hbm, fp32, known = bw, peak, True
        break
# Dense FP16 tensor-core peak with FP32 accumulation (H100/H200 SXM datasheet; the PCIe H100: 756 T).
tc16 = 756e12 if "PCIe" in name else 989.4e12
pcie = 50e9
rows = [json.loads(l) for l in open(raw) if l.strip()]
# The peer keeps P on the GPU; per call it reads P back for the MACs, resident it remembers MAC outcomes.
# From bytes, each side parses serialized records in every timed run.
peers = {(r["result"]["op"], r["result"]["n"], bool(r["result"].get("resident")), bool(r["result"].get("from_bytes"))):
         r["result"]["per_second"] for r in rows if r["impl"] == "torch"}
results = []
for r in rows:
    if r["impl"] != "spheremask":
        continue
    b = r["result"]; n = b["n"]; op = b["op"]
    mode = r.get("mode", "per-call")
    build = r.get("build")  # device-check's compare section: the same row before and after a change
    if r.get("chunk_hash"):  # SMHD v2 chunk hashing on the host or on the device, same binary
        build = (build + ", " if build else "") + "chunk hash on " + r["chunk_hash"]
    size = 2 if b.get("dtype") == "f16" else 4
    p_bytes = n * n * size
    count = b.get("count", b.get("gallery"))
    if op == "identify":  # per_second = probe×record comparisons
        # One pass reads the gallery (memory) and multiplies it by the probes in f32 (2n² flop per
        # comparison): with hundreds of probes the pass is arithmetic-bound, so the floor is the slower.
        floor = min(b["probes"] * hbm / p_bytes, fp32 / (2.0 * n * n))
        if b.get("tensor_cores"):  # two f16 GEMMs (hi and lo of the probes): 4n² tensor-core flop
            floor = min(b["probes"] * hbm / p_bytes, tc16 / (4.0 * n * n))
        pcie_floor = b["probes"] * pcie / p_bytes
        count = "%d×%d" % (b["gallery"], b["probes"])
    elif op == "verify":
        floor = hbm / p_bytes            # P resident in HBM, read once
        pcie_floor = pcie / p_bytes      # P uploaded from the host every call (what the per-call API does)
    else:
        floor = fp32 / (4.0 / 3.0 * n ** 3)
        pcie_floor = pcie / p_bytes      # P downloaded to the host
    peer = peers.get((op, n, mode == "resident", mode == "from-bytes")) if mode in ("per-call", "resident", "from-bytes") else None
    results.append(dict(op=op, mode=mode + (" [%s]" % build if build else ""), dtype=b.get("dtype", "f32"), n=n, alpha=b["alpha"], count=count,
                        per_second=b["per_second"],
                        floor_per_second=floor, fraction_of_floor=b["per_second"] / floor,
                        pcie_floor_per_second=pcie_floor, fraction_of_pcie_floor=b["per_second"] / pcie_floor,
                        torch_per_second=peer, speedup_vs_torch=(b["per_second"] / peer) if peer else None,
                        device=b.get("device", name)))
meta = dict(gpu=name, hbm_bytes_per_second=hbm, fp32_flops=fp32, table_match=known, pcie_bytes_per_second=pcie)
json.dump(dict(meta=meta, results=results), open(os.path.join(out, "results.json"), "w"), indent=1)
lines = ["# spheremask device check: %s" % (name or "unknown GPU"), "",
         "Floors (DESIGN §5): verify = HBM %.1f TB/s / bytes of P; enroll = FP32 %.1f TFLOP/s / ((4/3)n³)%s; "
         "PCIe floor = 50 GB/s / bytes of P." % (hbm / 1e12, fp32 / 1e12, "" if known else " (GPU not in table: H100 assumed)"),
         "Identify rows: per second = probe×record comparisons; floor = one pass over the resident gallery per call "
         "or 2n² FP32 flop per comparison, whichever is slower (tensor-core rows, mode resident-tc: 4n² FP16 "
         "tensor-core flop at %.0f TFLOP/s)." % (tc16 / 1e12),
         "", "| op | mode | dtype | n | α | count | per second | floor/s | of floor | PCIe floor/s | of PCIe floor | torch/s | × torch |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
for x in results:
    lines.append("| %s | %s | %s | %d | %d | %s | %.1f | %.1f | %.1f%% | %.1f | %.1f%% | %s | %s |" % (
        x["op"], x["mode"], x["dtype"], x["n"], x["alpha"], x["count"], x["per_second"], x["floor_per_second"],
        100 * x["fraction_of_floor"],
        x["pcie_floor_per_second"], 100 * x["fraction_of_pcie_floor"],
        "%.1f" % x["torch_per_second"] if x["torch_per_second"] else "–",
        "%.2f" % x["speedup_vs_torch"] if x["speedup_vs_torch"] else "–"))
open(os.path.join(out, "results.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
