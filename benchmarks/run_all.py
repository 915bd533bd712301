"""Run every benchmark in turn, each in its own process (``make bench``).

    python benchmarks/run_all.py [NAME ...]

Each writes its JSON to benchmarks/out/ and prints its table. The machine should be otherwise
idle: the figures are wall-clock seconds on 2 cores.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["partition_vs_peers", "partition_city_scale", "coverage_vs_peers", "siting_spread",
         "replan", "map_size", "batch_scaling"]
#: spopt's dense model at 50,000 x 5,000 would take most of an hour to build: skipped, as in the
#: committed results.
ARGS = {"coverage_vs_peers": ["--skip", *[f"spopt {p}@issue target{e}" for p in ("LSCP", "MCLP")
                                          for e in ("", ", existing stations kept")]]}


def main(names: list[str]) -> int:
    names = names or ORDER
    unknown = [n for n in names if not (HERE / f"{n}.py").exists()]
    if unknown:
        print(f"run_all: no benchmark named {unknown[0]!r}: expected one of {', '.join(ORDER)}",
              file=sys.stderr)
        return 2
    failed = []
    for name in names:
        print(f"\n## {name}", flush=True)
        t = time.perf_counter()
        r = subprocess.run([sys.executable, str(HERE / f"{name}.py"), *ARGS.get(name, [])])
        print(f"({name}: exit {r.returncode}, {time.perf_counter() - t:.0f} s)", flush=True)
        if r.returncode:
            failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
