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
        f"wrote {out}/plan.gpkg, summary.json, map.html",
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


def plan_options(f):
    for opt in reversed(_plan_options):
        f = opt(f)
    return f


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
@plan_options
def plan_cmd(input_path, out, coords, stations, network, keep, config_path, **options):
    """Plan INPUT (OSM, GeoPackage, GeoJSON, Shapefile, GeoParquet or CSV)."""
    from . import io
    from .plan import plan
    try:
        config = _config(config_path, **options)
        city = io.load(input_path, coords=coords, config=config, stations=stations,
                       network=network)
        p = plan(city, config, keep=keep)
        p.save(out)
    except InputError as e:
        _fail(e)
    _report(p, out)


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
        tmp = out.with_name(f".{out.name}.tmp")
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
def demo_cmd(out, households, seed):
    """Plan the embedded default district and write the map."""
    from .plan import plan
    from .synth import synth
    try:
        t = time.perf_counter()
        city = synth(households=households, seed=seed)
        p = plan(city)
        p.save(out)
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
