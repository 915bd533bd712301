"""Size and load time of the review map (issue 5: a 1,000,000-household district's map.html
under 15 MB, opening in a few seconds; issue 18: with its streets, water and buildings),
measured in Debian's headless Chromium with every network request refused.

    python benchmarks/map_size.py [--households 60000 1000000] [--seed 0]

Writes benchmarks/out/map_size.json and prints a Markdown table. Needs playwright (the
``test`` extra) and /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-dev-shm-usage"]
LOADS = 3        # page loads per map; the median is reported


def load_times(path: Path, chromium: str) -> dict:
    """Open the page LOADS times; seconds to the load event, until every layer, legend and
    panel exist (``gridplanReview``) and until the frame after that is painted; how long
    switching to AMap (shifting every overlay to GCJ-02) and showing the clustered homes
    take."""
    from playwright.sync_api import sync_playwright
    runs = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
        for _ in range(LOADS):
            ctx = browser.new_context(viewport={"width": 1400, "height": 900})
            ctx.route(lambda url: not url.startswith(("file:", "data:")),
                      lambda route: route.abort())
            page = ctx.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            t = time.perf_counter()
            page.goto(path.as_uri(), wait_until="load", timeout=120_000)
            loaded = time.perf_counter() - t
            page.wait_for_function("window.gridplanReview !== undefined", timeout=120_000)
            ready = time.perf_counter() - t
            page.evaluate("() => new Promise(r => requestAnimationFrame("
                          "() => requestAnimationFrame(r)))")
            painted = time.perf_counter() - t
            paths = page.locator("path.gp-grid").count()
            ground = page.evaluate("""() => ({
                streets: document.querySelectorAll('path.gp-street').length,
                water: document.querySelectorAll('path.gp-water').length,
                buildings: document.querySelectorAll('path.gp-building').length})""")
            # street zoom: buildings (coloured by grid) and local streets appear
            street = page.evaluate("""() => new Promise(r => {
                const m = window.gridplanReview.map, t = performance.now();
                m.setView(m.getCenter(), 17, {animate: false});
                requestAnimationFrame(() => requestAnimationFrame(
                    () => r((performance.now() - t) / 1000))); })""")
            amap = page.evaluate("""() => {
                const t = performance.now(); window.gridplanReview.setDatum('gcj02');
                const s = performance.now() - t; window.gridplanReview.setDatum('wgs84');
                return s / 1000; }""")
            homes = page.evaluate("""() => {
                const st = window.gridplanReview, l = st.layers.homes;
                if (!l) return null;
                const t = performance.now(); st.map.addLayer(l);
                return (performance.now() - t) / 1000; }""")
            heap = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : null")
            runs.append({"load_event_s": loaded, "ready_s": ready, "painted_s": painted,
                         "grid_paths": paths, "ground_paths": ground,
                         "street_zoom_s": street,
                         "shift_to_gcj02_s": amap, "show_homes_s": homes,
                         "js_heap_mb": heap / 2**20 if heap else None, "errors": errors})
            ctx.close()
        version = browser.version
        browser.close()

    def median(key):
        vals = sorted(r[key] for r in runs if r[key] is not None)
        return round(vals[len(vals) // 2], 3) if vals else None
    return {"chromium": version, "loads": LOADS,
            **{k: median(k) for k in ("load_event_s", "ready_s", "painted_s", "shift_to_gcj02_s",
                                      "show_homes_s", "street_zoom_s", "js_heap_mb")},
            "grid_paths": runs[-1]["grid_paths"], "ground_paths": runs[-1]["ground_paths"],
            "page_errors": sorted({e for r in runs for e in r["errors"]})}


def measure(households: int, seed: int, chromium: str) -> dict:
    import gridplan as gp
    t = time.perf_counter()
    city = gp.synth(households=households, seed=seed)
    p = gp.plan(city)
    plan_s = time.perf_counter() - t
    t = time.perf_counter()
    iso = p.isochrones
    iso_s = time.perf_counter() - t
    row = {"households": households, "seed": seed, "homes": int(len(city.homes)),
           "grids": int(len(p.grids)), "communities": int(len(p.communities)),
           "stations": int(len(p.stations)), "proposed": int(len(p.proposed)),
           "uncovered_homes": int(len(p.uncovered)), "isochrones": int(len(iso)),
           "synth_and_plan_s": round(plan_s, 2), "isochrones_s": round(iso_s, 2)}
    with tempfile.TemporaryDirectory() as tmp:
        for mode, opts in (("inline", {}), ("cdn", {"cdn": True}),
                           ("no_ground", {"ground": False})):
            path = Path(tmp) / f"map_{mode}.html"
            t = time.perf_counter()
            p.map(**opts).save(str(path))
            row[f"{mode}_build_s"] = round(time.perf_counter() - t, 2)
            row[f"{mode}_mb"] = round(path.stat().st_size / 1e6, 3)
        row["browser"] = load_times(Path(tmp) / "map_inline.html", chromium)
        path = Path(tmp) / "review.html"
        t = time.perf_counter()
        from gridplan.outputs.review import write_review
        write_review(p, path)
        row["review_build_s"] = round(time.perf_counter() - t, 2)
        row["review_mb"] = round(path.stat().st_size / 1e6, 3)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, nargs="+", default=[60_000, 1_000_000])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args()
    rows = []
    for n in args.households:
        rows.append(measure(n, args.seed, args.chromium))
        print(json.dumps(rows[-1]), flush=True)
    OUT.mkdir(exist_ok=True)
    result = {"machine": {"cpu_count": __import__("os").cpu_count(),
                          "python": platform.python_version()},
              "limit_mb": 15, "rows": rows}
    (OUT / "map_size.json").write_text(json.dumps(result, indent=2) + "\n")
    print("\n| households | homes | grids | map.html (inline) | without ground layers "
          "| map.html (--cdn) | review.html | build s | load event s | painted s "
          "| to street zoom s | shift to GCJ-02 s | show homes s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        b = r["browser"]
        print(f"| {r['households']:,} | {r['homes']:,} | {r['grids']:,} | {r['inline_mb']} MB "
              f"| {r['no_ground_mb']} MB | {r['cdn_mb']} MB | {r['review_mb']} MB "
              f"| {r['inline_build_s']} | {b['load_event_s']} "
              f"| {b['painted_s']} | {b['street_zoom_s']} | {b['shift_to_gcj02_s']} "
              f"| {b['show_homes_s']} |")


if __name__ == "__main__":
    main()
