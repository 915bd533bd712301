"""The ``gridplan`` command."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from .config import PlanConfig
from .errors import InputError

DEMO_HOUSEHOLDS = 60_000


def _fail(err: InputError) -> None:
    click.echo(f"gridplan: error: {err.line()}", err=True)
    sys.exit(2)


def _config(config_path, **options) -> PlanConfig:
    knobs = {k: v for k, v in options.items() if v is not None}
    if config_path:
        return PlanConfig.from_toml(config_path, **knobs)
    return PlanConfig().replace(**knobs)


def _report(plan, out: Path) -> None:
    s = plan.summary
    g, c, cov = s["grids"], s["communities"], s["coverage"]
    lines = [
        f"{s['households']:,} households in {s['homes']:,} homes",
        f"{g['count']:,} grids ({g['households_min']}–{g['households_max']} households, "
        f"{g['within_bounds_share']:.1%} within {g['bounds'][0]}–{g['bounds'][1]}, "
        f"mean Polsby-Popper {g['polsby_popper_mean']:.2f}) in {c['count']} communities "
        f"({c['within_bounds_share']:.1%} within {c['bounds'][0]}–{c['bounds'][1]})",
        f"unresolved: {len(g['unresolved'])} grid notes, {len(c['unresolved'])} community notes",
        *([f"kept {g['moved']['grids_kept']} grids, {g['moved']['grids_new']} new, "
           f"{g['moved']['grids_retired']} retired; {g['moved']['homes']} homes "
           f"({g['moved']['households']} households) moved"] if g.get("moved") else []),
        f"coverage within {cov['radius_m']:.0f} m: {cov['straight_share']:.1%} straight"
        + (f", {cov['walk_share']:.1%} walking; within a {cov['walk_15min_m']:.0f} m walk: "
           f"{cov['walk_15min_share']:.1%}" if cov["walk_share"] is not None else ""),
        f"proposed stations: {s['siting']['proposed']}",
        *_edit_lines(s.get("edits")),
        f"wrote {out}/plan.gpkg, summary.json, map.html, grids.csv, communities.csv"
        + (", geojson/" if (Path(out) / "geojson").is_dir() else "")
        + (", review.html" if (Path(out) / "review.html").is_file() else ""),
    ]
    click.echo("\n".join(lines))


_plan_options = [
    click.option("--min-households", type=int, help="Fewest households in a grid [300]."),
    click.option("--max-households", type=int, help="Most households in a grid [500]."),
    click.option("--community-min", type=int, help="Fewest households in a community [3000]."),
    click.option("--community-max", type=int, help="Most households in a community [5000]."),
    click.option("--radius-m", type=float, help="Straight-line service radius [500]."),
    click.option("--walk-minutes", type=float, help="The walk circle in minutes [15]."),
    click.option("--walk-speed-kmh", type=float, help="Walking speed [4]."),
    click.option("--target-coverage", type=float,
                 help="Propose stations until this share of households is within the radius."),
    click.option("--seed", type=int, help="Seed for every random choice [0]."),
    click.option("--config", "config_path", type=click.Path(path_type=Path),
                 help="A TOML file of plan settings (command-line options win)."),
]


_siting_options = [
    click.option("--candidates", type=click.Path(path_type=Path),
                 help="Possible sites for new stations (points or shapes; CSV lon,lat; a "
                      "GeoPackage layer 'candidates'); their columns are kept; a 'cost' "
                      "column makes siting seek the cheapest stations (unit cost when "
                      "absent). Default: street intersections and non-residential "
                      "buildings."),
    click.option("--metric", "siting_metric", type=click.Choice(["straight", "walk"]),
                 help="New stations reach homes in a straight line or on foot [straight]."),
    click.option("--add", "add_stations", type=int,
                 help="Add up to N stations, those reaching the most households (maximal "
                      "covering); with candidate costs, a budget N in those units. Default: "
                      "the fewest that reach every reachable household."),
    click.option("--one-per-grid", "one_station_per_grid", is_flag=True, default=None,
                 help="Also give every grid a station within reach of one of its homes."),
    click.option("--time-limit-s", "siting_time_limit_s", type=float,
                 help="Time budget for the exact siting answer; the best found is kept [60]."),
]


def _apply(options):
    def deco(f):
        for opt in reversed(options):
            f = opt(f)
        return f
    return deco


plan_options = _apply(_plan_options)
siting_options = _apply(_siting_options)

def _basemap_usable(ctx, param, value):
    """Fail before planning when Tianditu is asked for without a key."""
    from .review_map.basemaps import check_basemap, tianditu_key
    return check_basemap(value, tianditu_key())


_map_options = [
    click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                 help="Language of the map's labels."),
    click.option("--basemap", type=click.Choice(["osm", "amap", "tianditu"]), default="osm",
                 show_default=True, callback=_basemap_usable,
                 help="Basemap shown first (the others stay selectable); on AMap the overlays "
                      "are shifted to GCJ-02. Tianditu needs GRIDPLAN_TIANDITU_KEY."),
    click.option("--cdn", is_flag=True,
                 help="Link Leaflet from a CDN (smaller map.html that needs the internet) "
                      "instead of inlining it."),
    click.option("--geojson", is_flag=True,
                 help="Also write geojson/<layer>.geojson (WGS84) for every layer."),
]
map_options = _apply(_map_options)


def _edit_lines(edits: dict | None) -> list[str]:
    """What a review's edits came to (``plan --edits``), refused ones with their reason."""
    if not edits:
        return []
    return ([f"edits: {edits['applied']} moves applied ({edits['homes_moved']} homes, "
             f"{edits['households_moved']} households), {len(edits['refused'])} refused, "
             f"{edits['comments']} comments"]
            + [f"  refused edit {r['edit']}: {r['reason']}" for r in edits["refused"]])


def _save(plan, out, lang, basemap, cdn, geojson, review=False) -> None:
    """Write the plan's files, the CSV tables among them."""
    from .report import write_plan
    write_plan(plan, out, map_options={"lang": lang, "basemap": basemap, "cdn": cdn},
               tables=True, geojson=geojson, review=review)


def _candidates(path, city, coords, config):
    from . import io
    from .propose import candidate_costs
    if not path:
        return None
    cand = io.read_points(path, crs=city.crs, coords=coords, config=config)
    try:  # a bad cost stops the run before anything is computed or written
        candidate_costs(cand)
    except InputError as e:
        raise e.at(file=path) from None
    return cand


@click.group()
@click.version_option(package_name="gridplan")
def cli():
    """Divide a district into grids and communities, and check station coverage."""


@cli.command("plan")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="Folder for plan.gpkg, summary.json and map.html.")
@click.option("--coords", type=click.Choice(["wgs84", "gcj02", "bd09"]), default="wgs84",
              show_default=True, help="Datum of lon/lat input.")
@click.option("--stations", type=click.Path(path_type=Path), help="A file of station points.")
@click.option("--network", type=click.Path(path_type=Path),
              help="A file of walkable streets (.osm, .osm.pbf or lines).")
@click.option("--keep", type=click.Path(path_type=Path),
              help="Last year's plan.gpkg: keep its grid and community ids, move few homes.")
@click.option("--review", is_flag=True,
              help="Also write review.html: move homes between grids with live counts, "
                   "comment, and export edits.geojson (offline).")
@click.option("--edits", "edits_path", type=click.Path(path_type=Path),
              help="An edits.geojson from review.html: apply its moves (those breaking a "
                   "rule are refused, with the reason, in summary.json) and comments.")
@plan_options
@siting_options
@map_options
def plan_cmd(input_path, out, coords, stations, network, keep, review, edits_path, candidates,
             config_path, lang, basemap, cdn, geojson, **options):
    """Plan INPUT (OSM, GeoPackage, GeoJSON, Shapefile, GeoParquet or CSV)."""
    from . import io
    from .plan import plan
    try:
        config = _config(config_path, **options)
        edits = None
        if edits_path is not None:      # a bad edits file fails before the planning starts
            from .review_edit import read_edits
            edits = read_edits(edits_path)
        city = io.load(input_path, coords=coords, config=config, stations=stations,
                       network=network)
        p = plan(city, config, keep=keep,
                 candidates=_candidates(candidates, city, coords, config))
        if edits is not None:
            p = p.apply_edits(edits)
        _save(p, out, lang, basemap, cdn, geojson, review)
    except InputError as e:
        _fail(e)
    _report(p, out)


@cli.command("site")
@click.argument("input_path", metavar="HOMES", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="Folder for plan.gpkg, summary.json and proposed_stations.csv.")
@click.option("--stations", type=click.Path(path_type=Path),
              help="Existing stations (they stay); default: the input's own.")
@click.option("--network", type=click.Path(path_type=Path),
              help="A file of walkable streets (.osm, .osm.pbf or lines).")
@click.option("--coords", type=click.Choice(["wgs84", "gcj02", "bd09"]), default="wgs84",
              show_default=True, help="Datum of lon/lat input (all files).")
@plan_options
@siting_options
def site_cmd(input_path, out, stations, network, coords, candidates, config_path, **options):
    """Propose new stations for HOMES (any input `plan` reads), existing stations kept."""
    from . import io
    from .site import site
    try:
        config = _config(config_path, **options)
        city = io.load(input_path, coords=coords, config=config, stations=stations,
                       network=network)
        s = site(city, config, candidates=_candidates(candidates, city, coords, config))
        s.save(out)
    except InputError as e:
        _fail(e)
    r = s.summary
    g = r["siting"]
    click.echo("\n".join([
        f"{r['households']:,} households in {r['homes']:,} homes, {r['stations']} stations",
        f"proposed {g['proposed']} new stations from {g['candidates']:,} candidates "
        f"({g['method']}, gap {_pct(g['gap'])}, {g['seconds']:.1f} s)",
        f"within {g['radius_m']:.0f} m ({g['metric']}): {r['share_before']:.1%} before, "
        f"{r['share_after']:.1%} after; {g['uncoverable_households']:,} households no "
        f"candidate reaches",
        f"wrote {out}/plan.gpkg, summary.json, proposed_stations.csv"]))


def _pct(v) -> str:
    return "unknown" if v is None else f"{v:.1%}"


@cli.command("batch")
@click.argument("regions", metavar="REGIONS...", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="Folder for regions/<name>/, plan.gpkg, summary.json and manifest.json.")
@click.option("--workers", type=click.IntRange(min=1),
              help="Worker processes of a local Dask cluster [one per core].")
@click.option("--scheduler", metavar="ADDRESS",
              help="An existing Dask scheduler (tcp://host:8786) instead of a local cluster.")
@click.option("--coords", type=click.Choice(["wgs84", "gcj02", "bd09"]), default="wgs84",
              show_default=True, help="Datum of lon/lat input.")
@plan_options
def batch_cmd(regions, out, workers, scheduler, coords, config_path, **options):
    """Plan many REGIONS on Dask: several files, or one file split by a `region` column on
    its homes or by the named polygons of its `boundary` layer. Re-running resumes."""
    from .batch import run_batch
    try:
        config = _config(config_path, **options)
        result = run_batch(regions, out, config, coords=coords, workers=workers,
                           scheduler=scheduler, errors_to=sys.stderr)
    except InputError as e:
        _fail(e)
    click.echo("\n".join(result.lines()))
    sys.exit(0 if result.ok else 1)


@cli.command("synth")
@click.option("--households", type=int, default=DEMO_HOUSEHOLDS, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="GeoPackage to write (layers homes, streets, water, stations, boundary).")
def synth_cmd(households, seed, out):
    """Generate a seeded, realistic Chinese district."""
    from .synth import synth
    try:
        if households <= 0:
            raise InputError(f"--households = {households}: expected a whole number > 0")
        if out.suffix.lower() != ".gpkg":
            raise InputError("expected a .gpkg path to write", file=out)
        t = time.perf_counter()
        city = synth(households=households, seed=seed)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.stem}.tmp{out.suffix}")
        tmp.unlink(missing_ok=True)
        city.to_gpkg(tmp)
        tmp.replace(out)
    except InputError as e:
        _fail(e)
    click.echo(f"{city!r}\nwrote {out} in {time.perf_counter() - t:.1f} s")


@cli.command("demo")
@click.option("--out", type=click.Path(path_type=Path), default=Path("maps/demo"),
              show_default=True)
@click.option("--households", type=int, default=DEMO_HOUSEHOLDS, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@map_options
def demo_cmd(out, households, seed, lang, basemap, cdn, geojson):
    """Plan the embedded default district and write the map."""
    from .plan import plan
    from .synth import synth
    try:
        t = time.perf_counter()
        city = synth(households=households, seed=seed)
        p = plan(city)
        _save(p, out, lang, basemap, cdn, geojson)
    except InputError as e:
        _fail(e)
    _report(p, out)
    click.echo(f"done in {time.perf_counter() - t:.1f} s; open {out}/map.html in a browser")


def main(argv=None):
    try:
        cli.main(args=argv, prog_name="gridplan", standalone_mode=True)
    except InputError as e:   # raised outside a command body (e.g. while parsing)
        _fail(e)


if __name__ == "__main__":
    main()
