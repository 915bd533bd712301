"""Siting on its own: where new stations should go for the homes of a city, without the rest
of a plan (``gridplan site``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import geopandas as gpd

from .city import City
from .columns import GRID_ID, HOME_INDEX, HOUSEHOLDS
from .config import PlanConfig
from .coverage.measure import summary_share
from .errors import InputError
from .propose import Proposal, propose_stations
from .summary import SiteSummary, crs_names, versions


@dataclass
class Siting:
    """The result of :func:`site`.

    Attributes
    ----------
    city : City
    config : PlanConfig
    homes : GeoDataFrame
        The city's homes with ``covered_before`` and ``covered_after`` (within reach of an
        existing station; of an existing or proposed one), and ``grid_id`` when one station
        per grid was asked for.
    proposed : GeoDataFrame
        The proposed stations, best first, with the candidates' own columns.
    summary : SiteSummary
        The figures written as ``summary.json``.
    """

    city: City
    config: PlanConfig
    homes: gpd.GeoDataFrame
    proposal: Proposal
    seconds: dict = field(default_factory=dict)

    @property
    def proposed(self) -> gpd.GeoDataFrame:
        """The proposed stations, best first, with the candidates' own columns."""
        return self.proposal.stations

    @property
    def uncovered(self) -> gpd.GeoDataFrame:
        """Homes with households that no existing or proposed station reaches."""
        h = self.homes
        return h[(h[HOUSEHOLDS] > 0) & ~h["covered_after"]]

    @property
    def summary(self) -> SiteSummary:
        """The figures of the siting run: written as ``summary.json``."""
        h = self.homes
        w = h[HOUSEHOLDS].to_numpy(dtype=float)

        def share(col):
            return summary_share(w, h[col].to_numpy())

        crs, out_crs = crs_names(self.city, self.config)
        return SiteSummary(source=self.city.source, households=int(w.sum()), crs=crs,
                           output_crs=out_crs, homes=int(len(h)),
                           stations=int(len(self.city.stations)),
                           share_before=share("covered_before"),
                           share_after=share("covered_after"), siting=self.proposal.summary,
                           config=self.config.to_dict(), versions=versions(),
                           seconds=self.seconds)

    def save(self, out, *, force: bool = False, inputs=()) -> None:
        """Write ``plan.gpkg`` (proposed_stations, stations, homes, uncovered_homes) and
        ``summary.json`` to the folder ``out``, atomically (the same folder rules as
        :func:`gridplan.outputs.save.write_plan`)."""
        from .outputs.tables import CSV_ENCODING, table
        from .io.write import output_crs, write_gpkg, write_json
        from .outputs.folder import atomic_folder
        crs = output_crs(self.city, self.config)
        with atomic_folder(out, force=force, inputs=inputs) as tmp:
            write_gpkg({"proposed_stations": self.proposed, "stations": self.city.stations,
                        "homes": self.homes, "uncovered_homes": self.uncovered},
                       tmp / "plan.gpkg", self.city.crs, crs)
            write_json(self.summary.to_json(), tmp / "summary.json")
            table(self.proposed, area=False, crs=crs).to_csv(
                tmp / "proposed_stations.csv", index=False, encoding=CSV_ENCODING)

    def __repr__(self) -> str:
        s = self.proposal.summary
        return (f"Siting({s.proposed} proposed station{'s' * (s.proposed != 1)}, "
                f"{s.covered_households:,} of {s.coverable_households:,} coverable "
                f"households reached, {s.method})")


def site(city: City, config: PlanConfig | None = None, *, candidates=None, network=None,
         **knobs) -> Siting:
    """Propose new stations for the homes of a city; its existing stations stay.

    Parameters
    ----------
    city : City
        From :func:`gridplan.load` or :func:`gridplan.synth`.
    config : PlanConfig, optional
        ``radius_m``, ``siting_metric`` ('straight' or 'walk'), ``add_stations`` (None: the
        fewest that reach every household a candidate reaches; N: the N reaching the most),
        ``target_coverage``, ``one_station_per_grid`` (grids are cut first) and
        ``siting_time_limit_s``.
    candidates : GeoDataFrame, optional
        Possible sites, in the city's CRS (see :func:`gridplan.io.read_points`); by
        default street intersections and non-residential buildings.
    network : WalkNetwork, optional
        The walk network, when already built.
    **knobs
        Any PlanConfig field, overriding ``config``.

    Returns
    -------
    Siting

    Examples
    --------
    >>> import gridplan as gp
    >>> city = gp.synth(households=6_000, seed=1)
    >>> s = gp.site(city, add_stations=2, radius_m=300)
    >>> len(s.proposed), s.summary.share_after
    (1, 1.0)
    """
    config = (config or PlanConfig()).replace(**knobs) if knobs else (config or PlanConfig())
    if not isinstance(city, City):
        raise InputError(f"expected a City (from gridplan.load or gridplan.synth), got "
                         f"{type(city).__name__}")
    seconds = {}
    homes = city.homes
    if config.one_station_per_grid:
        from .partition import partition
        t = time.perf_counter()
        part = partition(city, config)
        first = part.homes.groupby(HOME_INDEX)[GRID_ID].first()
        homes = homes.assign(grid_id=homes.index.map(first))
        seconds["partition"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    if network is None and len(city.streets) and (config.siting_metric == "walk"
                                                  or candidates is None):
        from .coverage import build_walk_network
        network = build_walk_network(city.streets, config=config)
    proposal = propose_stations(homes, city, config, network, candidates)
    seconds["siting"] = round(time.perf_counter() - t, 3)
    homes = homes.copy()
    homes["covered_after"] = proposal.covered
    homes["covered_before"] = proposal.covered_before
    return Siting(city=city, config=config, homes=homes, proposal=proposal, seconds=seconds)
