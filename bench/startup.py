"""How much CPU the CLI spends before it does anything: ``--help`` and ``plugins``.

Each command runs ``--runs`` times as a fresh process (after one warm-up run
that fills the OS file cache); the CPU it used (user + system, from the
kernel's accounting of the finished child) is reported as the median, next
to two baselines measured in the same run: the bare interpreter
(``python -c pass``) and the floor of any Typer CLI (``import typer, rich``).
The target is a median under 0.3 s of CPU for ``billing-hub --help`` and
``billing-hub plugins``.

    .venv/bin/python bench/startup.py            # 9 runs each
    .venv/bin/python bench/startup.py --runs 21
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

TARGET = 0.3
"""Seconds of CPU the two commands may take, at the median."""


def cpu_of(argv: list[str], cwd: Path) -> float:
    """User + system CPU seconds of one run of ``argv`` as a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True, env={**os.environ, "COLUMNS": "100"})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_cpu(argv: list[str], runs: int, cwd: Path) -> tuple[float, float, float]:
    cpu_of(argv, cwd)  # warm-up
    times = sorted(cpu_of(argv, cwd) for _ in range(runs))
    return times[0], statistics.median(times), times[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[1]
    hub = [sys.executable, "-c", "from hub.cli.app import main; main()"]
    cases = [
        ("python -c pass (baseline)", [sys.executable, "-c", "pass"]),
        ("import typer, rich (baseline)", [sys.executable, "-c", "import typer, rich"]),
        ("billing-hub --help", [*hub, "--help"]),
        ("billing-hub plugins", [*hub, "plugins"]),
        ("billing-hub sync --help", [*hub, "sync", "--help"]),
    ]
    print(f"CPU seconds per start, {args.runs} runs each (min / median / max)")
    baseline = None
    failed = False
    for label, argv in cases:
        low, mid, high = median_cpu(argv, args.runs, root)
        baseline = baseline or mid
        verdict = ""
        if label in ("billing-hub --help", "billing-hub plugins"):
            ok = mid < TARGET
            failed |= not ok
            verdict = f"  {'ok' if ok else 'OVER'} (target < {TARGET} s)"
        print(f"  {label:32} {low:6.3f} / {mid:6.3f} / {high:6.3f}   "
              f"{mid / baseline:5.1f}x the interpreter{verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
