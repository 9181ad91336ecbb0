#!/usr/bin/env python3
"""Move host/, cuda/ and tests/ into one folder per subsystem, mechanically and re-runnably.

Usage (from anywhere inside the repository; python3 standard library only):
    scripts/relayout.py --dry-run   # print the plan: moves, include rewrites, build-file patches, warnings
    scripts/relayout.py             # apply it (git mv, rewrite includes and path mentions, patch CMake)

What it does, in order:
  1. Moves every file of the explicit table MOVES with `git mv` (plain rename for untracked files).
     A file that is not in the table and sits directly in host/, cuda/ or tests/ is placed by the
     first matching pattern of RULES; if none matches it stays where it is and is listed as a warning.
     Files already in a subfolder that the table does not name are never moved.
  2. Rewrites every quoted #include in host/, cuda/, tests/, python/, examples/ and bench/: each include
     is resolved the way the compiler resolves it in the tree as it is now (the including file's folder,
     then host/, cuda/, tests/, include/, the repository root) and re-spelled from its new home:
        host/<sub>/x.hpp   -> "<sub>/x.hpp"        (include root: host/)
        cuda/<sub>/x.hpp   -> "cuda/<sub>/x.hpp"   (include root: the repository root)
        tests/<sub>/x.hpp  -> "<sub>/x.hpp"        (include root: tests/; "x.hpp" from tests/<sub>/ itself)
     Public headers (include/) and files outside those trees keep their spelling. No "../" remains.
  3. Patches the build files (recursive globs, include roots, the no-CUDA stub's path, the install
     test's scan for internal headers). Each patch is applied once: when its old text is absent and its
     new text present it is reported as done; when neither is found it is a warning to fix by hand.
  4. Rewrites mentions of moved paths ("host/crypto.cpp") in tracked text files (docs, comments,
     scripts), except recorded device runs and this script.
Running it again on the result changes nothing (every step above is a no-op on an applied tree).
Exit status: 0 when applied (or planned) without warnings, 1 with warnings, 2 on a conflict that
stopped it before changing anything.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

# ---------------------------------------------------------------------------------------------------
# The explicit table: current path -> new home. Basenames are kept, so a bare include of a moved header
# in a file this table does not know is still found and re-spelled.
# ---------------------------------------------------------------------------------------------------
_GROUPS: dict[str, list[str]] = {
    # The CPU<->CUDA seam: the backend interface, the host-memory gallery, the stub for builds without CUDA.
    "host/backend": ["backend_impl.hpp", "host_gallery.cpp"],
    # The Engine and what every engine call does before a backend sees the data.
    "host/engine": ["engine.cpp", "template_prep.cpp", "template_prep.hpp", "params.cpp", "error.cpp"],
    # The reference backend.
    "host/cpu": ["cpu_backend.cpp", "haar_cpu.cpp", "haar_cpu.hpp"],
    # OpenSSL wrappers, key flow, key release, multi-lane SHA-256.
    "host/crypto": ["crypto.cpp", "crypto.hpp", "keyflow.cpp", "keyflow.hpp", "keys.cpp",
                    "sha256_lanes.cpp", "sha256_lanes.hpp"],
    # Byte formats: SMHD records, batch parsing, SMTE expander files.
    "host/format": ["record.cpp", "record_batch.cpp", "record_batch.hpp", "expander_file.cpp"],
    "host/store": ["store.cpp", "store_sqlite.cpp", "store_sqlite.hpp"],
    # The template expander: network, objective, trainer, inspection, the concrete expander.
    "host/expander": ["expander_net.cpp", "expander_net.hpp", "expander_objective.cpp",
                      "expander_objective.hpp", "expander_rng.hpp", "expander_train.cpp",
                      "expander_train_backends.hpp", "expander_inspect.cpp", "template_expander.cpp",
                      "template_expander.hpp"],
    "host/capi": ["c_api.cpp", "c_api_handles.hpp", "c_api_seal.cpp", "c_api_status.cpp", "c_api_store.cpp"],
    # Analysis and file tools the CLI and tests use (neither the C API nor the Python module does).
    "host/tools": ["eval.cpp", "eval.hpp", "npy.cpp", "npy.hpp", "sealed_file.cpp", "sealed_file.hpp",
                   "security_estimate.cpp", "security_estimate.hpp"],
    # Host utilities shared by several subsystems (and the CUDA orchestration).
    "host/util": ["parallel.hpp"],
    # CUDA: error checks, RAII, the device context, staging, launch arithmetic, the launcher table, selftest.
    "cuda/core": ["cuda_check.cpp", "cuda_check.hpp", "cuda_raii.hpp", "device_context.cpp",
                  "device_context.hpp", "device_count.cpp", "staging.cpp", "staging.hpp", "piece_copy.hpp",
                  "launch_shapes.hpp", "block_reduce.cuh", "kernels.hpp", "cuda_selftest.hpp", "selftest.cu"],
    "cuda/haar": ["haar_gpu.cpp", "haar_gpu.hpp", "haar_kernels.cu", "haar_method.hpp"],
    "cuda/enroll": ["rotation_kernels.cu"],
    "cuda/decode": ["decode_kernels.cu", "device_decode.cpp", "device_decode.hpp", "top_alpha.hpp"],
    "cuda/gallery": ["resident_gallery.cpp", "resident_gallery.hpp", "gallery_plan.hpp"],
    "cuda/expander": ["expander_forward.cpp", "expander_forward.hpp", "expander_kernels.cu",
                      "expander_kernels.hpp", "expander_train_gpu.cpp", "expander_train_kernels.cu",
                      "expander_train_kernels.hpp", "expander_trainer.cpp", "expander_trainer.hpp",
                      "train_elements.hpp", "train_gemms.hpp", "train_step.hpp"],
    # Tests: helpers, then one folder per subsystem. Labels stay derived from test names ("Cuda" = gpu).
    "tests/support": ["backends.hpp", "expander_train_cases.hpp", "permutation_records.hpp", "scoped_env.hpp",
                      "test_store_util.hpp", "test_util.hpp"],
    "tests/unit": ["test_chacha_gaussian.cpp", "test_codeword.cpp", "test_half.cpp", "test_params.cpp"],
    "tests/crypto": ["test_crypto.cpp", "test_keys.cpp", "test_sha256_lanes.cpp"],
    "tests/backend": ["test_acceptance.cpp", "test_gallery.cpp", "test_haar.cpp", "test_identify.cpp",
                      "test_smoke.cpp", "test_templates.cpp"],
    "tests/format": ["test_record.cpp"],
    "tests/store": ["test_store.cpp"],
    "tests/cli": ["test_cli_templates.cpp", "test_store_cli.cpp"],
    "tests/capi": ["test_capi.cpp"],
    "tests/expander": ["test_expander.cpp", "test_expander_routing.cpp", "test_expander_train_backend.cpp",
                       "test_expander_train_gemms.cpp", "test_expander_train_stepper.cpp"],
    "tests/tools": ["test_eval.cpp", "test_lfw_eval.cpp", "test_npy.cpp", "test_security_estimate.cpp"],
    "tests/cuda": ["test_cuda_backend.cpp", "test_cuda_compact_wy.cpp", "test_cuda_expander.cpp",
                   "test_cuda_expander_train.cpp", "test_cuda_launch_shapes.cpp", "test_cuda_paths.cpp",
                   "test_cuda_resident_gallery.cpp", "test_cuda_selftest.cpp", "test_staging_pieces.cpp"],
}
MOVES: dict[str, str] = {f"{tree.split('/')[0]}/{name}": f"{tree}/{name}"
                         for tree, names in _GROUPS.items() for name in names}
MOVES["host/no_cuda/cuda_unavailable.cpp"] = "host/backend/no_cuda/cuda_unavailable.cpp"

# Files that stay directly in host/, cuda/ or tests/ (build files and the CUDA backend's thin entry point).
STAY = {"host/CMakeLists.txt", "cuda/CMakeLists.txt", "tests/CMakeLists.txt", "cuda/cuda_backend.cpp"}

# Placement of top-level files the table does not know (added on other branches): first match wins.
RULES: list[tuple[str, str, str]] = [
    ("host", r"^c_api", "host/capi"),
    ("host", r"^(store|sqlite)", "host/store"),
    ("host", r"^(record|smhd|format)", "host/format"),
    ("host", r"^(expander|template_expander|te_)", "host/expander"),
    ("host", r"^(crypto|keyflow|keys|sha256|hmac|hkdf|secure)", "host/crypto"),
    ("host", r"^(haar|cpu_)", "host/cpu"),
    ("host", r"^(engine|gallery|template_prep|params|error|enroll)", "host/engine"),
    ("host", r"^(backend|host_gallery)", "host/backend"),
    ("host", r"^(eval|sweep|security|npy|sealed)", "host/tools"),
    ("host", r"^attack", "host/attack"),
    ("host", r"^mpi", "host/mpi"),
    ("cuda", r"^(cuda_|device_context|device_count|staging|piece_|launch_|block_|kernels|selftest)", "cuda/core"),
    ("cuda", r"^haar", "cuda/haar"),
    ("cuda", r"^(rotation|enroll)", "cuda/enroll"),
    ("cuda", r"^(decode|device_decode|top_alpha)", "cuda/decode"),
    ("cuda", r"^(gallery|resident)", "cuda/gallery"),
    ("cuda", r"^(expander|train)", "cuda/expander"),
    ("tests", r"^test_(cuda|staging)", "tests/cuda"),
    ("tests", r"^test_capi", "tests/capi"),
    ("tests", r"^test_.*cli.*\.cpp$", "tests/cli"),
    ("tests", r"^test_store", "tests/store"),
    ("tests", r"^test_expander", "tests/expander"),
    ("tests", r"^test_(record|format)", "tests/format"),
    ("tests", r"^test_attack", "tests/attack"),
    ("tests", r"^test_mpi", "tests/mpi"),
    ("tests", r"^test_(eval|lfw|npy|security|sweep)", "tests/tools"),
    ("tests", r"^test_(crypto|keys|sha256)", "tests/crypto"),
    ("tests", r"^test_(enroll|multi_?samples?|app_binding|threads)", "tests/backend"),
    ("tests", r"^test_plra", "tests/attack"),
    ("tests", r"^test_recommend", "tests/tools"),
    ("tests", r"^test_shard", "tests/shard"),  # sharding logic without MPI: not the mpi label (ASan skips it)
    ("tests", r"^test_v\d+_", "tests/format"),
    ("tests", r"^test_.*\.cpp$", None),  # any other test source: left in tests/ (the glob is recursive)
    ("tests", r"\.(hpp|h)$", "tests/support"),  # helper headers
]

SOURCE_EXT = (".c", ".cc", ".cpp", ".h", ".hpp", ".cu", ".cuh")
INCLUDE_SCAN = ("host", "cuda", "tests", "python", "examples", "bench")
TEXT_EXT = (".md", ".txt", ".sh", ".py", ".cmake", ".in", ".c", ".cc", ".cpp", ".h", ".hpp", ".cu", ".cuh",
            ".json", ".yml", ".yaml", ".map")
TEXT_SKIP = re.compile(r"^(bench/device-runs/|\.ci/|scripts/relayout\.py$)")

# Build-file patches: (file, pattern, replacement, text present once applied). Each pattern is written
# so that it no longer matches once applied; a file that neither matches nor holds the marker is a warning.
PATCHES: list[tuple[str, str, str, str]] = [
    # The no-CUDA stub's folder, in the source filter and where it is added back.
    ("host/CMakeLists.txt", r"(?<!backend/)\bno_cuda\b", "backend/no_cuda", "backend/no_cuda"),
    # Internal includes are spelled from host/ ("crypto/crypto.hpp") and, for the CUDA headers that the
    # stub and the tests need, from the repository root ("cuda/core/cuda_selftest.hpp").
    ("host/CMakeLists.txt", r"PRIVATE \$\{CMAKE_CURRENT_SOURCE_DIR\} (?!\$\{PROJECT_SOURCE_DIR\} )",
     "PRIVATE ${CMAKE_CURRENT_SOURCE_DIR} ${PROJECT_SOURCE_DIR} ", "${PROJECT_SOURCE_DIR} ${LAPACKE_INCLUDE_DIR}"),
    ("cuda/CMakeLists.txt", r"file\(GLOB SPHEREMASK_CUDA_SOURCES", "file(GLOB_RECURSE SPHEREMASK_CUDA_SOURCES",
     "GLOB_RECURSE SPHEREMASK_CUDA_SOURCES"),
    ("cuda/CMakeLists.txt", r"(\$\{PROJECT_SOURCE_DIR\}/host\s+)\$\{CMAKE_CURRENT_SOURCE_DIR\}\)",
     r"\1${PROJECT_SOURCE_DIR})", "${PROJECT_SOURCE_DIR}/host\n  ${PROJECT_SOURCE_DIR})"),
    ("tests/CMakeLists.txt", r"# Every tests/test_\*\.cpp joins one binary\.",
     "# Every tests/**/test_*.cpp joins one binary (helpers in tests/support/).", "tests/**/test_*.cpp"),
    ("tests/CMakeLists.txt", r"file\(GLOB SPHEREMASK_TEST_SOURCES", "file(GLOB_RECURSE SPHEREMASK_TEST_SOURCES",
     "GLOB_RECURSE SPHEREMASK_TEST_SOURCES"),
    ("tests/CMakeLists.txt", r"(spheremask_tests PRIVATE \$\{CMAKE_CURRENT_SOURCE_DIR\} \$\{PROJECT_SOURCE_DIR\}/host)\)",
     r"\1 ${PROJECT_SOURCE_DIR})", "${PROJECT_SOURCE_DIR}/host ${PROJECT_SOURCE_DIR})"),
    # The install test's scan for internal headers that must not be installed, now in subfolders.
    ("tests/install/run_install_test.sh", r'for internal in "\$src"/host/\*\.hpp; do',
     "for internal in $(find \"$src/host\" \"$src/cuda\" -name '*.hpp' -o -name '*.cuh'); do",
     'find "$src/host" "$src/cuda"'),
]

INCLUDE_RE = re.compile(r'^(\s*#\s*include\s*)"([^"]+)"', re.M)


class Plan:
    def __init__(self, root: Path):
        self.root = root
        self.moves: list[tuple[str, str, str]] = []  # (old, new, why)
        self.warnings: list[str] = []
        self.notes: list[str] = []

    def warn(self, text: str) -> None:
        self.warnings.append(text)


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def top_level_files(root: Path, tree: str) -> list[str]:
    folder = root / tree
    if not folder.is_dir():
        return []
    return sorted(f"{tree}/{p.name}" for p in folder.iterdir() if p.is_file())


def plan_moves(plan: Plan) -> None:
    root = plan.root
    for old, new in MOVES.items():
        src, dst = root / old, root / new
        if src.exists() and dst.exists():
            plan.warn(f"conflict: both {old} and {new} exist; left both alone")
        elif src.exists():
            plan.moves.append((old, new, "table"))
        elif not dst.exists():
            plan.notes.append(f"absent, skipped: {old}")
    known = set(MOVES) | STAY
    for tree in ("host", "cuda", "tests"):
        for path in top_level_files(root, tree):
            if path in known:
                continue
            name = path.split("/", 1)[1]
            dest = None
            matched = False
            for rule_tree, pattern, folder in RULES:
                if rule_tree == tree and re.search(pattern, name):
                    dest, matched = folder, True
                    break
            if dest is None:
                why = "no rule places it" if not matched else "test sources may stay in tests/"
                plan.warn(f"unknown file left in place: {path} ({why})")
                continue
            new = f"{dest}/{name}"
            if (root / new).exists():
                plan.warn(f"conflict: {path} would replace {new}; left alone")
                continue
            plan.moves.append((path, new, f"rule -> {dest}/"))
    # Leftovers of the old no_cuda folder that the table does not know.
    stub_dir = root / "host/no_cuda"
    if stub_dir.is_dir():
        for p in stub_dir.iterdir():
            rel = f"host/no_cuda/{p.name}"
            if rel not in MOVES:
                plan.warn(f"unknown file left in place: {rel}")
    # Test sources already in subfolders that the recursive glob will now compile into the test binary.
    moved_tests = {new for _, new, _ in plan.moves} | set(MOVES.values())
    for p in sorted((root / "tests").rglob("test_*.cpp")):
        rel = p.relative_to(root).as_posix()
        if rel.count("/") >= 2 and rel not in moved_tests:
            plan.notes.append(f"already in a subfolder, now also globbed into spheremask_tests: {rel}")


def source_files(root: Path) -> list[str]:
    out = []
    for tree in INCLUDE_SCAN:
        base = root / tree
        if not base.is_dir():
            continue
        for p in base.rglob("*"):
            if p.is_file() and p.suffix in SOURCE_EXT and "/build" not in p.as_posix()[len(str(root)):]:
                out.append(p.relative_to(root).as_posix())
    return sorted(out)


def resolve(root: Path, including: str, spelled: str) -> str | None:
    """The repository path an include names, searched as the build's compilers search it."""
    dirs = [os.path.dirname(including), "host", "host/cli", "cuda", "tests", "include", ""]
    for d in dirs:
        candidate = os.path.normpath(os.path.join(d, spelled))
        if candidate.startswith(".."):
            continue
        if (root / candidate).is_file():
            return candidate
    return None


def spell(target: str) -> str | None:
    """How a file at its new home is included; None keeps the current spelling."""
    if target.startswith("host/"):
        return target[len("host/"):]
    if target.startswith("cuda/"):
        return target
    if target.startswith("tests/"):
        return target[len("tests/"):]
    return None


def plan_includes(plan: Plan) -> dict[str, list[tuple[str, str]]]:
    """{new path of the including file: [(old spelling, new spelling)]} for every include that changes."""
    root = plan.root
    moved = {old: new for old, new, _ in plan.moves}
    edits: dict[str, list[tuple[str, str]]] = {}
    for path in source_files(root):
        text = (root / path).read_text(encoding="utf-8", errors="surrogateescape")
        for match in INCLUDE_RE.finditer(text):
            spelled = match.group(2)
            if spelled.startswith("spheremask/"):
                continue
            target = resolve(root, path, spelled)
            if target is None:
                if not path.startswith(("python/", "examples/", "bench/")):
                    plan.warn(f"unresolved include in {path}: \"{spelled}\"")
                continue
            new_target, new_path = moved.get(target, target), moved.get(path, path)
            if new_target.startswith("tests/") and os.path.dirname(new_target) == os.path.dirname(new_path):
                # A neighbour in a test folder stays bare: test subfolders may be targets of their own
                # (fuzzers) without tests/ on their include path.
                new_spelling = os.path.basename(new_target)
            else:
                new_spelling = spell(new_target)
            if new_spelling is None or new_spelling == spelled:
                continue
            edits.setdefault(moved.get(path, path), []).append((spelled, new_spelling))
    return edits


def plan_patches(plan: Plan) -> list[tuple[str, str, str, str]]:
    todo = []
    for file, pattern, repl, marker in PATCHES:
        path = plan.root / file
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        if re.search(pattern, text):
            todo.append((file, pattern, repl, marker))
        elif marker not in text:
            plan.warn(f"patch not applicable, fix by hand: {file}: expected /{pattern}/")
    # A source named one by one next to its CMakeLists (the globs need no names) must be renamed by hand.
    for old, _, _ in plan.moves:
        tree, name = old.split("/", 1)
        if "/" in name:  # the no-CUDA stub: PATCHES handle it
            continue
        cmake = plan.root / tree / "CMakeLists.txt"
        if cmake.is_file() and re.search(r"CMAKE_CURRENT_SOURCE_DIR\}/" + re.escape(name) + r"(?![\w.])",
                                         cmake.read_text(encoding="utf-8")):
            plan.warn(f"{tree}/CMakeLists.txt names {name} directly: point it at its new folder by hand")
    return todo


def path_mention_re() -> re.Pattern[str]:
    olds = sorted(MOVES, key=len, reverse=True)
    # Not inside a longer name or a new path ("tests/cuda/x" is not the old "cuda/x").
    return re.compile(r"(?<![\w.-])(?<!host/)(?<!cuda/)(?<!tests/)(" + "|".join(re.escape(o) for o in olds)
                      + r")(?![\w.])")


def plan_mentions(plan: Plan) -> dict[str, int]:
    root = plan.root
    mention = path_mention_re()
    counts = {}
    for rel in git(root, "ls-files").splitlines():
        if TEXT_SKIP.match(rel) or not rel.endswith(TEXT_EXT) or not (root / rel).is_file():
            continue
        text = (root / rel).read_text(encoding="utf-8", errors="surrogateescape")
        hits = [m for m in mention.finditer(text) if (root / MOVES[m.group(1)]).exists()
                or any(m.group(1) == old for old, _, _ in plan.moves)]
        if hits:
            counts[rel] = len(hits)
    return counts


def apply(plan: Plan, edits, patches, mentions) -> None:
    root = plan.root
    tracked = set(git(root, "ls-files").splitlines())
    for old, new, _ in plan.moves:
        (root / new).parent.mkdir(parents=True, exist_ok=True)
        if old in tracked:
            git(root, "mv", old, new)
        else:
            os.rename(root / old, root / new)
    stub_dir = root / "host/no_cuda"
    if stub_dir.is_dir() and not any(stub_dir.iterdir()):
        stub_dir.rmdir()
    for path, changes in edits.items():
        file = root / path
        text = file.read_text(encoding="utf-8", errors="surrogateescape")
        mapping = dict(changes)
        text = INCLUDE_RE.sub(lambda m: m.group(1) + '"' + mapping.get(m.group(2), m.group(2)) + '"', text)
        file.write_text(text, encoding="utf-8", errors="surrogateescape")
    for file, pattern, repl, _ in patches:
        path = root / file
        path.write_text(re.sub(pattern, repl, path.read_text(encoding="utf-8")), encoding="utf-8")
    mention = path_mention_re()
    moved_rel = {old: new for old, new, _ in plan.moves}
    for rel in mentions:
        rel_now = moved_rel.get(rel, rel)
        path = root / rel_now
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        text = mention.sub(lambda m: MOVES[m.group(1)], text)
        path.write_text(text, encoding="utf-8", errors="surrogateescape")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    args = parser.parse_args()
    root = Path(git(Path(__file__).resolve().parent, "rev-parse", "--show-toplevel").strip())

    plan = Plan(root)
    plan_moves(plan)
    targets = [new for _, new, _ in plan.moves]
    if len(targets) != len(set(targets)):
        print("relayout: two files would move to the same place; nothing changed", file=sys.stderr)
        return 2
    edits = plan_includes(plan)
    patches = plan_patches(plan)
    mentions = plan_mentions(plan)

    print(f"relayout: {len(plan.moves)} moves, includes rewritten in {len(edits)} files "
          f"({sum(len(v) for v in edits.values())} lines), {len(patches)} build-file patches, "
          f"path mentions in {len(mentions)} files")
    for old, new, why in plan.moves:
        print(f"  move  {old} -> {new}" + ("" if why == "table" else f"   [{why}]"))
    if args.dry_run:
        for path, changes in sorted(edits.items()):
            for old, new in changes:
                print(f"  incl  {path}: \"{old}\" -> \"{new}\"")
        for file, pattern, repl, _ in patches:
            print(f"  patch {file}: /{pattern}/ -> {repl!r}")
        for rel, count in sorted(mentions.items()):
            print(f"  text  {rel}: {count} path mention(s)")
    for note in plan.notes:
        print(f"  note  {note}")
    for warning in plan.warnings:
        print(f"  WARNING {warning}")
    if args.dry_run:
        print("relayout: dry run, nothing changed")
    else:
        apply(plan, edits, patches, mentions)
        print("relayout: applied; review with `git status` and build")
    return 1 if plan.warnings else 0


if __name__ == "__main__":
    sys.exit(main())
