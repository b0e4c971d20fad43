"""Benchmark: loading an N-row Payfit CSV and an N-row Equify CSV with the product's loaders.

Writes the synthetic data of :func:`bench.synth.generate` (``N`` records per side, fictitious) as the
two CSV files the app's upload and the CLI's ``load`` read, then reads each one in a fresh process
(so each peak is its own) with :func:`reconcile.sources.payfit_files.read_payfit_file` and
:func:`reconcile.sources.equify.read_equify_file`: every rule of the loaders applies (encoding sniffing,
text-only cells, line-numbered errors). Times only the read; ``peak_rss_mb`` is the reading
process's peak resident size (the interpreter and its imports included, ``idle_rss_mb`` of them).

Prints a line per file (rows, seconds, rows/s, peak RSS), then ``TARGET MISSED: ...`` lines, and on
its LAST line one JSON object: ``{"n", "seed", "payfit_seconds", "payfit_rows_per_s",
"payfit_peak_rss_mb", "payfit_file_mb", "equify_seconds", "equify_rows_per_s", "equify_peak_rss_mb",
"equify_file_mb", "idle_rss_mb", "generate_seconds"}``.

Targets (issue 17) at N >= 1,000,000: each file in ``seconds <= 10`` and ``peak_rss_mb <= 1000``.
The exit code is 0 even when a target is missed.

Usage: ``python bench/load_scale.py N [--seed 7] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from bench import synth  # noqa: E402

#: Run in a fresh interpreter: read one file, print ``seconds rows peak_kb idle_kb``.
#: The peak is the kernel's VmHWM of this process's memory (ru_maxrss would carry the parent's
#: peak across fork and exec).
_READER = """
import resource, sys, time
from reconcile.sources.equify import read_equify_file
from reconcile.sources.payfit_files import read_payfit_file
def peak_kb():
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
idle = peak_kb()
read = read_payfit_file if sys.argv[1] == "payfit" else read_equify_file
started = time.perf_counter()
result = read(sys.argv[2])
seconds = time.perf_counter() - started
print(seconds, len(result.frame), peak_kb(), idle)
"""


def read_in_a_fresh_process(kind: str, path: Path) -> tuple[float, int, float, float]:
    """``(seconds, rows, peak_rss_mb, idle_rss_mb)`` of reading ``path`` with the ``kind`` loader
    (``payfit`` or ``equify``) in a new interpreter started in the project folder."""
    out = subprocess.run(
        [sys.executable, "-c", _READER, kind, str(path)], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split()
    seconds, rows, peak_kb, idle_kb = float(out[0]), int(out[1]), int(out[2]), int(out[3])
    return seconds, rows, peak_kb / 1024, idle_kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description="Time the Payfit and Equify CSV loaders on N rows each.")
    parser.add_argument("n", type=int, help="rows per file")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="write the CSV files here (kept) instead of a temporary folder")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        source, target, _truth = synth.generate(args.n, args.seed)
        paths = {"payfit": folder / "payfit.csv", "equify": folder / "equify.csv"}
        source.to_csv(paths["payfit"], index=False)
        target.to_csv(paths["equify"], index=False)
        del source, target, _truth
        generate_seconds = time.perf_counter() - started
        print(f"generated and wrote n={args.n} seed={args.seed} in {generate_seconds:.1f} s")
        out: dict[str, object] = {"n": args.n, "seed": args.seed}
        misses: list[str] = []
        for kind, path in paths.items():
            seconds, rows, peak_mb, idle_mb = read_in_a_fresh_process(kind, path)
            file_mb = path.stat().st_size / 1e6
            rate = rows / seconds if seconds else float("inf")
            print(
                f"{kind}: {rows:,} rows ({file_mb:.0f} MB) in {seconds:.2f} s = {rate:,.0f} rows/s, "
                f"peak RSS {peak_mb:.0f} MB (idle interpreter {idle_mb:.0f} MB)"
            )
            out.update(
                {
                    f"{kind}_seconds": round(seconds, 3),
                    f"{kind}_rows_per_s": round(rate),
                    f"{kind}_peak_rss_mb": round(peak_mb, 1),
                    f"{kind}_file_mb": round(file_mb, 1),
                    "idle_rss_mb": round(idle_mb, 1),
                }
            )
            if args.n >= 1_000_000 and seconds > 10:
                misses.append(f"TARGET MISSED: {kind} {seconds:.1f} s > 10 s at n={args.n}")
            if args.n >= 1_000_000 and peak_mb > 1000:
                misses.append(f"TARGET MISSED: {kind} peak RSS {peak_mb:.0f} MB > 1000 MB at n={args.n}")
        out["generate_seconds"] = round(generate_seconds, 1)
        for line in misses:
            print(line)
        print(json.dumps(out))


if __name__ == "__main__":
    main()
