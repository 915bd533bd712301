"""The ``gridplan`` command."""

from __future__ import annotations

import gc
import sys
import time
import warnings
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
    g, c, cov, moved = s.grids, s.communities, s.coverage, s.grids.moved
    lines = [
        f"{s.households:,} households in {s.homes:,} homes",
        f"{g.count:,} grids ({g.households_min}–{g.households_max} households, "
        f"{g.within_bounds_share:.1%} within {g.bounds[0]}–{g.bounds[1]}, "
        f"mean Polsby-Popper {g.polsby_popper_mean:.2f}) in {c.count} communities "
        f"({c.within_bounds_share:.1%} within {c.bounds[0]}–{c.bounds[1]})",
        f"unresolved: {len(g.unresolved)} grid notes, {len(c.unresolved)} community notes",
        *([f"compounds cut by building (--allow-compound-split): "
           f"{len(g.compounds_cut)}"] if g.compounds_cut else []),
        *([f"kept {moved.grids_kept} grids, {moved.grids_new} new, "
           f"{moved.grids_retired} retired; {moved.homes} homes "
           f"({moved.households} households) moved"] if moved else []),
        f"coverage within {cov.radius_m:.0f} m: {cov.straight_share:.1%} straight"
        + (f", {cov.walk_share:.1%} walking; within a {cov.walk_15min_m:.0f} m walk: "
           f"{cov.walk_15min_share:.1%}" if cov.walk_share is not None else ""),
        *([f"no street within {plan.config.snap_max_m:.0f} m, so no walk: "
           f"{cov.unsnapped_homes:,} homes ({cov.unsnapped_households:,} households), "
           "layer unsnapped_homes"] if cov.unsnapped_homes else []),
        f"proposed stations: {s.siting.proposed}",
        *_input_lines(s.siting, s.crs, s.output_crs, cov.walk_not_measured),
        *_edit_lines(s.edits),
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
    # issue 15: partition on real registers
    click.option("--allow-compound-split", "allow_compound_split", is_flag=True, default=None,
                 help="Let a compound that fits in one grid be cut by building when nothing "
                      "else brings the grids around it into range (each cut is listed)."),
    click.option("--repair-time-s", type=float,
                 help="Seconds for re-solving out-of-range grids exactly with their "
                      "neighbours [6]."),
    click.option("--config", "config_path", type=click.Path(path_type=Path),
                 help="A TOML file of plan settings (command-line options win)."),
    # input checks (issue 16)
    click.option("--max-households-per-home", type=int,
                 help="Most households one home may hold; more is refused as a typo [100000]."),
    click.option("--estimate-missing", is_flag=True, default=None,
                 help="Estimate households left empty in a given households column (from "
                      "footprint and levels); without it an empty count is refused."),
]

#: Every command that writes a folder takes it (issue 16: never replace a user's files).
force_option = click.option(
    "--force", is_flag=True,
    help="Write into a folder that holds other files: gridplan's files go beside them, and "
         "only files gridplan wrote earlier are replaced.")


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

# --- issue 13: reading the files planners hold (encodings, column names, Excel, datums, CRS)
_DATUMS = click.Choice(["wgs84", "gcj02", "bd09"])
_input_options = [
    click.option("--stations-coords", type=_DATUMS,
                 help="Datum of the --stations file, when not --coords (AMap: gcj02)."),
    click.option("--candidates-coords", type=_DATUMS,
                 help="Datum of the --candidates file, when not --coords."),
    click.option("--encoding",
                 help="Text encoding of CSV and shapefile input (gbk, gb18030, utf-16, ...). "
                      "Default: detected (BOM or .cpg, else UTF-8, else GB18030)."),
    click.option("--columns", metavar="lon=X,lat=Y,households=Z",
                 help="Columns of the homes to use where their names are not recognised "
                      "(names: lon, lat, households, buildings, name)."),
    click.option("--sheet", help="Excel sheet of the homes [the first]."),
    click.option("--crs", "output_crs", metavar="EPSG:XXXX",
                 help="CRS of plan.gpkg [the homes' own when projected, else local UTM]; "
                      "maps and GeoJSON stay WGS84."),
]
input_options = _apply(_input_options)
_INPUT_KEYS = ("stations_coords", "candidates_coords", "encoding", "columns", "sheet")


def _pop_input(options: dict) -> dict:
    """The reading options out of ``options`` (what is left is PlanConfig's)."""
    return {k: options.pop(k, None) for k in _INPUT_KEYS}


def _load_inputs(input_path, coords, stations, network, candidates, config, io_kw):
    """The city and the candidate sites, each file read with its own datum."""
    from . import io
    from .io.columns import parse_columns
    from .propose import candidate_costs
    city = io.load(input_path, coords=coords, config=config, stations=stations,
                   network=network, stations_coords=io_kw["stations_coords"],
                   encoding=io_kw["encoding"], columns=parse_columns(io_kw["columns"]),
                   sheet=io_kw["sheet"])
    cand = None
    if candidates:
        name = "candidates_coords" if io_kw["candidates_coords"] else "coords"
        cand = io.read_points(candidates, crs=city.crs, config=config,
                              coords=io_kw["candidates_coords"] or coords,
                              encoding=io_kw["encoding"], coords_name=name)
        try:  # a bad cost stops the run before anything is computed or written
            candidate_costs(cand)
        except InputError as e:
            raise e.at(file=candidates) from None
    return city, cand


def _input_lines(siting, crs, output_crs, walk_not_measured=None) -> list[str]:
    """What a plan or a siting run says about its input: where candidate sites came from
    (``siting``, a SitingSummary), what coverage could not measure, and the CRS of
    plan.gpkg when it is not the one computed in."""
    lines = []
    if siting.candidate_sites == "homes":
        lines.append("candidate sites: the homes themselves (no streets and no --candidates): "
                     "a proposed station is embedded in a compound")
    if walk_not_measured:
        lines.append(f"walking distances not measured: {walk_not_measured}")
    if output_crs and output_crs != crs:
        lines.append(f"plan.gpkg written in {output_crs}")
    return lines

def _basemap_usable(ctx, param, value):
    """Fail before planning when Tianditu is asked for without a key. Only Tianditu can fail
    here (click checked the name), and the map's modules import folium (most of a second):
    they load with the map, not at start-up."""
    if value != "tianditu":
        return value
    from .outputs.map.basemaps import check_basemap, tianditu_key
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


def _edit_lines(edits) -> list[str]:
    """What a review's edits came to (``plan --edits``; an EditsReport or None), refused ones
    with their reason."""
    if not edits:
        return []
    return ([f"edits: {edits.applied} moves applied ({edits.homes_moved} homes, "
             f"{edits.households_moved} households), {len(edits.refused)} refused, "
             f"{edits.comments} comments"]
            + [f"  refused edit {r.edit}: {r.reason}" for r in edits.refused])


def _save(plan, out, lang, basemap, cdn, geojson, review=False, force=False, inputs=()) -> None:
    """Write the plan's files, the CSV tables among them."""
    from .outputs.save import write_plan
    write_plan(plan, out, map_options={"lang": lang, "basemap": basemap, "cdn": cdn},
               tables=True, geojson=geojson, review=review, force=force, inputs=inputs)


def _check_out(out, force, *inputs) -> tuple:
    """Refuse an unusable ``--out`` before the work starts; the inputs it must not replace."""
    from .outputs.folder import check_out
    inputs = tuple(p for p in inputs if p is not None)
    check_out(out, force=force, inputs=inputs)
    return inputs


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
@force_option
@input_options
def plan_cmd(input_path, out, coords, stations, network, keep, review, edits_path, candidates,
             config_path, lang, basemap, cdn, geojson, force, **options):
    """Plan INPUT (OSM, GeoPackage, GeoJSON, Shapefile, GeoParquet, CSV or Excel)."""
    from .plan import plan
    io_kw = _pop_input(options)
    try:
        config = _config(config_path, **options)
        inputs = _check_out(out, force, input_path, stations, network, keep, edits_path,
                            candidates, config_path)
        edits = None
        if edits_path is not None:      # a bad edits file fails before the planning starts
            from .outputs.review import read_edits
            edits = read_edits(edits_path, max_mb=config.edits_max_mb,
                               max_count=config.edits_max_count)
        city, cand = _load_inputs(input_path, coords, stations, network, candidates, config,
                                  io_kw)
        p = plan(city, config, keep=keep, candidates=cand)
        if edits is not None:
            p = p.apply_edits(edits)
        _save(p, out, lang, basemap, cdn, geojson, review, force, inputs)
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
@force_option
@input_options
def site_cmd(input_path, out, stations, network, coords, candidates, config_path, force,
             **options):
    """Propose new stations for HOMES (any input `plan` reads), existing stations kept."""
    from .site import site
    io_kw = _pop_input(options)
    try:
        config = _config(config_path, **options)
        inputs = _check_out(out, force, input_path, stations, network, candidates, config_path)
        city, cand = _load_inputs(input_path, coords, stations, network, candidates, config,
                                  io_kw)
        s = site(city, config, candidates=cand)
        s.save(out, force=force, inputs=inputs)
    except InputError as e:
        _fail(e)
    r = s.summary
    g = r.siting
    click.echo("\n".join([
        f"{r.households:,} households in {r.homes:,} homes, {r.stations} stations",
        f"proposed {g.proposed} new stations from {g.candidates:,} candidates "
        f"({g.method}, gap {_pct(g.gap)}, {g.seconds:.1f} s)",
        f"within {g.radius_m:.0f} m ({g.metric}): {r.share_before:.1%} before, "
        f"{r.share_after:.1%} after; {g.uncoverable_households:,} households no "
        f"candidate reaches",
        *_input_lines(g, r.crs, r.output_crs),
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
@force_option
def batch_cmd(regions, out, workers, scheduler, coords, config_path, force, **options):
    """Plan many REGIONS on Dask: several files, or one file split by a `region` column on
    its homes or by the named polygons of its `boundary` layer. Re-running resumes."""
    from .batch import run_batch
    try:
        config = _config(config_path, **options)
        result = run_batch(regions, out, config, coords=coords, workers=workers,
                           scheduler=scheduler, errors_to=sys.stderr, force=force)
    except InputError as e:
        _fail(e)
    click.echo("\n".join(result.lines()))
    sys.exit(0 if result.ok else 1)


@cli.command("synth")
@click.option("--households", type=int, default=DEMO_HOUSEHOLDS, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="GeoPackage to write (layers homes, streets, water, stations, boundary).")
# issue 15: the compounds' distribution (the 64 cities' registers by default)
@click.option("--compounds", type=click.Choice(["beike", "harbin"]), default="beike",
              show_default=True, help="Households per compound: 'beike' (102,363 compounds in "
              "64 cities, most smaller than a grid) or 'harbin' (large compounds of towers).")
def synth_cmd(households, seed, out, compounds):
    """Generate a seeded, realistic Chinese district."""
    from .synth import synth
    try:
        if households <= 0:
            raise InputError(f"--households = {households}: expected a whole number > 0")
        if out.suffix.lower() != ".gpkg":
            raise InputError("expected a .gpkg path to write", file=out)
        t = time.perf_counter()
        city = synth(households=households, seed=seed, compounds=compounds)
        from .io.write import atomic_file
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            with atomic_file(out, prefix=f".{out.stem}.", suffix=f".tmp{out.suffix}") as tmp:
                city.to_gpkg(tmp)
        except Exception as e:      # OSError, or GDAL's own error for a file it cannot make
            raise InputError(f"cannot write there ({str(e).splitlines()[0]}): expected a "
                             "path you may write to", file=out) from None
    except InputError as e:
        _fail(e)
    click.echo(f"{city!r}\nwrote {out} in {time.perf_counter() - t:.1f} s")


@cli.command("demo")
@click.option("--out", type=click.Path(path_type=Path), default=Path("maps/demo"),
              show_default=True)
@click.option("--households", type=int, default=DEMO_HOUSEHOLDS, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@map_options
@force_option
def demo_cmd(out, households, seed, lang, basemap, cdn, geojson, force):
    """Plan the embedded default district and write the map."""
    from .plan import plan
    from .synth import synth
    try:
        t = time.perf_counter()
        _check_out(out, force)
        city = synth(households=households, seed=seed)
        p = plan(city)
        _save(p, out, lang, basemap, cdn, geojson, force=force)
    except InputError as e:
        _fail(e)
    _report(p, out)
    click.echo(f"done in {time.perf_counter() - t:.1f} s; open {out}/map.html in a browser")


def main(argv=None):
    # the command loads pandas, geopandas, scipy and folium, 50,000-120,000 long-lived
    # objects: at Python's default (a young collection every 700 new objects) a 2,000-unit
    # plan set off three full collections over them (while importing, in the partition, in
    # the map), 0.13 s. A young collection every 20,000 keeps the same rules at a scale that
    # suits a process this size.
    gc.set_threshold(20_000, *gc.get_threshold()[1:])
    from .outputs.folder import terminate_like_interrupt
    terminate_like_interrupt()      # SIGTERM cleans up as Ctrl-C does
    # a library's warning about the bad input would come before its one line: held back,
    # and shown only when the command does not end in that line (exit code 2)
    code, caught = None, []
    try:
        with warnings.catch_warnings(record=True) as caught:
            try:
                cli.main(args=argv, prog_name="gridplan", standalone_mode=True)
            except InputError as e:   # raised outside a command body (e.g. while parsing)
                _fail(e)
    except SystemExit as e:
        code = e.code
        raise
    finally:
        if code != 2:
            for w in caught:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        # the process ends here: the interpreter's last garbage collection over every
        # module loaded (pandas, geopandas, folium, numba) took 0.3 s and frees nothing the
        # operating system does not; atexit handlers (child processes, folders) still run
        gc.freeze()


if __name__ == "__main__":
    main()
