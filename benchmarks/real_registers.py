"""Partition on real compound registers: the whole `gridplan plan` process on each register.

    python benchmarks/real_registers.py [REGISTER.csv ...] [--coords bd09] [--allow-compound-split]

Default registers: the two Jinan districts in ../shared/realdata (BD-09). Each run is a fresh
`python -m gridplan.cli plan` process, timed from start to exit. Writes
benchmarks/out/real_registers.json and prints a Markdown table: grids, share in range,
exceptions by reason, compounds cut, seconds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gridplan.summary import Summary

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
REALDATA = HERE.parents[1] / "shared" / "realdata"
DEFAULT = [REALDATA / "jinan_lixia_compounds_bd09.csv",
           REALDATA / "jinan_shizhong_compounds_bd09.csv"]
#: A grid note's kind, from the words its reason uses (first match wins).
KINDS = [
    ("walled in (proven)", "touches only"),
    ("isolated block (proven)", "no neighbour outside"),
    ("no regrouping (proven)", "proven by exact search"),
    ("searched, not proven", "not proven"),
    ("district total", "no set of grids"),
    ("compound cut (allowed)", "cut by building"),
    ("spans water", "spans a river"),
    ("in pieces", "several pieces"),
]


def kind(reason: str) -> str:
    """The kind of a grid note, by its reason."""
    return next((k for k, words in KINDS if words in reason), "other")


def run(path: Path, coords: str, allow_split: bool) -> dict:
    """One whole `gridplan plan` process on a register, and the figures of its summary."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "gridplan.cli", "plan", str(path), "--coords", coords,
               "--out", out]
        if allow_split:
            cmd.append("--allow-compound-split")
        t = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        secs = time.perf_counter() - t
        if done.returncode != 0:
            raise SystemExit(f"{path}: gridplan failed: {done.stderr.strip()}")
        s = Summary.from_json(json.loads((Path(out) / "summary.json").read_text(
            encoding="utf-8")))
    g = s.grids
    kinds: dict = {}
    for note in g.unresolved:
        k = kind(note.reason)
        kinds[k] = kinds.get(k, 0) + 1
    return {
        "register": path.name, "allow_compound_split": allow_split,
        "homes": s.homes, "households": s.households, "grids": g.count,
        "in_range_share": g.within_bounds_share,
        "households_min": g.households_min, "households_max": g.households_max,
        "grid_notes_by_kind": kinds,
        "compounds_above_max_cut": s.homes_split_into_parts,
        "compounds_that_fit_cut": len(g.compounds_cut),
        "partition_seconds": s.seconds["partition"],
        "process_seconds": round(secs, 2),
        "first_line": done.stdout.splitlines()[1] if done.stdout else "",
    }


def table(rows: list) -> str:
    """The results as a Markdown table."""
    head = ("| register | split allowed | homes | grids | in range | smallest–largest | "
            "grid notes by kind | compounds > max cut | compounds that fit cut | seconds |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    lines = [head]
    for r in rows:
        notes = ", ".join(f"{k}: {v}" for k, v in r["grid_notes_by_kind"].items()) or "none"
        lines.append(f"| {r['register']} | {'yes' if r['allow_compound_split'] else 'no'} | "
                     f"{r['homes']:,} | {r['grids']:,} | {r['in_range_share']:.1%} | "
                     f"{r['households_min']}–{r['households_max']} | {notes} | "
                     f"{r['compounds_above_max_cut']} | {r['compounds_that_fit_cut']} | "
                     f"{r['process_seconds']:.1f} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("registers", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--coords", default="bd09", help="coordinates of the registers [bd09]")
    ap.add_argument("--allow-compound-split", action="store_true",
                    help="also run each register with --allow-compound-split")
    args = ap.parse_args()
    missing = [p for p in args.registers if not p.is_file()]
    if missing:
        raise SystemExit(f"no such register: {missing[0]}")
    rows = []
    for path in args.registers:
        for allow in ([False, True] if args.allow_compound_split else [False]):
            rows.append(run(path, args.coords, allow))
            print(rows[-1]["register"], rows[-1]["first_line"], f"{rows[-1]['process_seconds']} s",
                  file=sys.stderr)
    OUT.mkdir(exist_ok=True)
    (OUT / "real_registers.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1),
                                             encoding="utf-8")
    print(table(rows))


if __name__ == "__main__":
    main()
