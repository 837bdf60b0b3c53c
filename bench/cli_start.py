#!/usr/bin/env python
"""Benchmark: ``yishi --help`` from process start, against the bare interpreter's start in the
same run (issue 13, goal 5: ≤ 0.25 s).

Each round runs, in a fresh process each and in the order A B B A: the baseline ``python -c
pass`` (the interpreter, site and the editable install's finder), then ``yishi --help`` as the
console script runs it; with ``--old DIR`` a third command runs the help of another yishi tree
(a checkout's ``core`` folder, put first on ``PYTHONPATH`` as ``yishi``) beside this one, for a
before/after in one run. Prints the median wall time of each and the median of the per-round
ratios to the baseline. The children get ``PYTHONDONTWRITEBYTECODE`` unset, so they run from
bytecode caches as an installed yishi does (with it set, every run compiles yishi's modules
again: 30–40 ms more).

Usage: ``.venv/bin/python bench/cli_start.py [--runs 15] [--args="--help"] [--old /tmp/old]``
where ``/tmp/old/yishi`` is (a link to) the old tree's ``core``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

SCRIPT = "import sys\nfrom yishi.cli import main\nsys.argv[0] = 'yishi'\nsys.exit(main())"


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--args", default="--help", help="the yishi arguments (default: --help)")
    parser.add_argument("--old", default=None, help="a folder holding an older tree's package as 'yishi'")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["COLUMNS"] = "100"
    cmds = {"python -c pass": ([sys.executable, "-c", "pass"], env),
            f"yishi {args.args}": ([sys.executable, "-c", SCRIPT, *args.args.split()], env)}
    if args.old:
        old_env = {**env, "PYTHONPATH": args.old}
        cmds[f"old yishi {args.args}"] = ([sys.executable, "-c", SCRIPT, *args.args.split()], old_env)
    for cmd, e in cmds.values():  # write the bytecode caches, warm the file cache
        timed(cmd, e)
    times: dict[str, list[float]] = {k: [] for k in cmds}
    ratios: dict[str, list[float]] = {k: [] for k in cmds}
    names = list(cmds)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}")
    for i in range(args.runs):
        order = names if i % 2 == 0 else names[::-1]  # A B C, C B A, ...
        got = {name: timed(*cmds[name]) for name in order}
        for name in names:
            times[name].append(got[name])
            ratios[name].append(got[name] / got[names[0]])
    print(f"{'command':<24} {'median s':>9} {'best s':>7} {'× python':>9}")
    for name in names:
        print(f"{name:<24} {statistics.median(times[name]):>9.3f} {min(times[name]):>7.3f} "
              f"{statistics.median(ratios[name]):>9.2f}")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
