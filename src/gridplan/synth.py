"""Synthesise a district: an arterial grid, a river, compounds of towers and slabs, shops, stations.

The embedded default city. It is built in local metres around a real place (Jinan, Shandong,
UTM zone 50N) so every layer can be mapped in WGS84, and it follows the numbers real plans meet:
arterials 400–600 m apart, blocks of 150–300 m, compound sizes drawn from a real distribution
(by default 102,363 Beike compounds in 64 cities, 2020, where most compounds are smaller than a
grid and most households live in compounds larger than one, with the buildings per compound
the registers show; ``compounds="harbin"``: the large Harbin compounds of a Lianjia listing,
2019, built of big towers; see ``realdata/README.md``), mid-rise slabs and towers at
12,000–25,000 households per km² of compound block (Harbin's towers: 25,000–40,000), and
existing stations that leave a quarter of the people beyond 500 m. The numbers below are the
generator's, not a plan's: they live here, not in ``PlanConfig``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from .city import City, make_city
from .columns import COMPOUND, ENTRANCES, HOUSEHOLDS, KIND, LEVELS, NAME
from .config import PlanConfig
from .errors import InputError

#: The layers' CRS, and the local origin in it: 117.0 E 36.6 N, Jinan, Shandong.
CRS = "EPSG:32650"
ORIGIN_E_M = 500_000.0
ORIGIN_N_M = 4_050_500.0

#: Spacing of arterials in both directions.
ARTERIAL_SPACING_M = (400.0, 600.0)
#: Mean block side a superblock is cut to (2 or 3 blocks a side), and the random spread of each cut.
BLOCK_SIDE_M = (175.0, 265.0)
BLOCK_SIDE_SPREAD = 0.08
#: How far a local street moves from one superblock to the next (a secondary one runs straight).
LOCAL_SHIFT_M = 10.0
#: Half the width of each street's right of way (its red line), and the building line: distance
#: from the centreline to the nearest footprint.
ROAD_HALF_WIDTH_M = {"arterial": 20.0, "secondary": 12.0, "local": 7.0, "path": 0.0, "river": 0.0}
SETBACK_M = {"arterial": 24.0, "secondary": 16.0, "local": 11.0, "path": 6.0, "river": 0.0}

#: The river: width, meander amplitudes and wavelengths, how far from the centre it runs
#: (share of the district radius), and the gap kept between its banks and buildings / street ends.
RIVER_WIDTH_M = (40.0, 80.0)
RIVER_MEANDER_M = ((60.0, 150.0), (15.0, 40.0))
RIVER_WAVELENGTH_M = ((1500.0, 3000.0), (450.0, 800.0))
RIVER_OFFSET_SHARE = 0.2
RIVER_STEP_M = 10.0
RIVER_BANK_SETBACK_M = 20.0
STREET_BANK_GAP_M = 3.0
#: Share of arterials that cross the river on a bridge (at least one does).
BRIDGE_SHARE = 0.5
#: A river-cut block keeps its larger side when that side is at least this deep.
RIVER_BLOCK_MIN_M = 45.0

#: Share of blocks given to each use as the district fills; the rest hold compounds.
BLOCK_USE_SHARE = {"park": 0.08, "school": 0.06, "office": 0.06, "lowrise": 0.10}
#: Share of households in old low-rise blocks (outside compounds).
LOWRISE_HOUSEHOLD_SHARE = 0.07

#: Households per compound, percentiles and values, interpolated in log space. 'beike': 102,363
#: compounds in 64 cities (Beike 2020; p5..p99 measured, the ends extrapolated); 'harbin': the
#: 689 large compounds a Lianjia listing of Harbin shows first (2019).
COMPOUND_DISTRIBUTIONS = {
    "beike": ((0.0, 0.05, 0.25, 0.50, 0.75, 0.95, 0.99, 1.0),
              (2, 5, 72, 252, 714, 2118, 3929, 8000)),
    "harbin": ((0.0, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 1.0),
               (73, 383, 531, 919, 1595, 2586, 3962, 5377, 11510)),
}
#: Chance that a compound is built of towers rather than mid-rise slabs, by its households
#: ('harbin'; 'beike' has its own below, with the towers real registers have).
TOWER_CHANCE_BY_HOUSEHOLDS = ((300, 1500), (0.45, 1.0))
#: A block holds one compound up to this many times its typical capacity, and shares with the
#: next small compounds while their total stays within its typical capacity; at most this many.
BLOCK_STRETCH = 1.1
PARCELS_PER_BLOCK_MAX = 4
PARCEL_GAP_M = 12.0
#: How many compounds ahead to look for one that fits what is left of a superblock; a block where
#: none fits becomes a school (with this chance) or a pocket park.
COMPOUND_LOOKAHEAD = 30
LEFTOVER_SCHOOL_CHANCE = 0.5
#: Smallest phase when a compound is too big for a whole superblock.
PHASE_MIN_HOUSEHOLDS = 300


class _Kind(NamedTuple):
    """A building type: households per building, footprint (east-west length, north-south depth),
    spacing between footprints, floors, and typical households per building for block capacity."""
    households: tuple[int, int]
    length_m: tuple[float, float]
    depth_m: tuple[float, float]
    gap_x_m: float
    gap_y_m: float
    levels: tuple[int, int]
    typical_households: float


TOWER = _Kind((100, 300), (20.0, 30.0), (15.0, 20.0), 32.0, 64.0, (18, 33), 200.0)
#: The towers of the 64-city registers: households per building p25/50/75/95 = 27 / 45 / 84 /
#: 244 over all compounds, about 60 in compounds of 500–1,000 and 110–140 above 2,000 (the
#: two Jinan registers), so most towers are 11–26 floors of two entrances, not 30-floor blocks.
TOWER_BEIKE = _Kind((60, 240), (20.0, 30.0), (15.0, 20.0), 32.0, 64.0, (11, 33), 110.0)
MIDRISE = _Kind((30, 60), (50.0, 70.0), (12.0, 12.0), 10.0, 20.0, (6, 6), 45.0)
LOWRISE = _Kind((10, 40), (25.0, 40.0), (9.0, 11.0), 8.0, 10.0, (2, 4), 25.0)
#: Chance that a 'beike' compound is built of towers, by its households: real registers build
#: small compounds of slabs and large ones mostly of towers.
TOWER_BEIKE_CHANCE_BY_HOUSEHOLDS = ((150, 500, 1500, 4000), (0.05, 0.3, 0.6, 0.9))
#: A 'beike' tower compound's typical households per tower, drawn per compound (log-uniform),
#: so households per building spread as in the registers instead of clustering on one value.
TOWER_BEIKE_PER_BUILDING = (70.0, 170.0)
#: Each distribution's tower and the chance a compound is built of it.
TOWERS = {"beike": (TOWER_BEIKE, TOWER_BEIKE_CHANCE_BY_HOUSEHOLDS),
          "harbin": (TOWER, TOWER_CHANCE_BY_HOUSEHOLDS)}
OFFICE = _Kind((0, 0), (30.0, 45.0), (20.0, 28.0), 30.0, 40.0, (12, 30), 0.0)
#: Flats per landing of a tower entrance (一梯两户 to 一梯四户), and households an entrance
#: serves, to derive a tower's entrances and floors from its households.
TOWER_FLATS_PER_LANDING = (2, 4)
TOWER_HOUSEHOLDS_PER_ENTRANCE = (55.0, 95.0)
#: Office towers per office block.
OFFICES_PER_BLOCK = (1, 4)
#: Street-front shops: chance an arterial side of a built block has a row, their size and gaps,
#: and the gap behind the row.
SHOP_SIDE_CHANCE = 0.6
SHOP_DEPTH_M = (10.0, 14.0)
SHOP_LENGTH_M = (15.0, 40.0)
SHOP_GAP_M = (4.0, 8.0)
SHOP_BACK_GAP_M = 8.0
SHOP_LEVELS = (1, 2)

#: Stations go on random homes until this share of households is within the service radius,
#: skipping any that would push it past the cap.
STATION_COVERAGE = (0.76, 0.80)

#: Gross households per km² assumed to size the area laid out before filling (kept low so the
#: district fits; only the superblocks used are kept), and the spread of the district's shape.
GROSS_DENSITY_FLOOR_PER_KM2 = 6000.0
DISTRICT_ASPECT = (0.85, 1.18)
LAYOUT_MARGIN = 1.3
LAYOUT_MARGIN_M = 1000.0

_NAME_WORDS = ("锦绣", "阳光", "翡翠", "泉城", "明珠", "幸福", "和谐", "东方", "金色", "银座",
               "绿地", "华润", "万科", "鲁能", "中海", "历山", "千佛", "舜耕", "燕山", "经纬",
               "保利", "龙湖", "世纪", "凤凰", "玉泉", "华侨", "书香", "紫荆", "丁香", "枫林",
               "桂园", "清河", "文化", "和平", "建设", "泺源", "明湖", "青年", "北园", "芙蓉")
_COMPOUND_SUFFIXES = ("花园", "小区", "家园", "苑", "新村", "华庭", "名邸", "公馆", "雅居", "嘉园",
                      "城", "府", "里", "山庄", "佳苑")
_DIGITS = "零一二三四五六七八九"


def synth(households: int = 60_000, seed: int = 0, *, config: PlanConfig | None = None,
          compounds: str = "beike") -> City:
    """Generate a realistic Chinese urban district with exactly ``households`` households.

    Parameters
    ----------
    households : int
        Households to place (>= 1). 60,000 makes a district about 2.5 km across.
    seed : int
        Seed of the one random generator; the same seed gives the identical city.
    config : PlanConfig, optional
        Passed to ``make_city``; ``radius_m`` is the radius the existing stations are placed for.
    compounds : {'beike', 'harbin'}
        Distribution of households per compound: 'beike' (the default; 64 cities: most
        compounds smaller than a grid, most households in compounds larger than one, slabs and
        towers of the registers' households per building; the regime real registers are in)
        or 'harbin' (large compounds only, of towers of 100–300 households).

    Returns
    -------
    City
        ``homes`` (footprints with households, kind, compound, levels, entrances, name),
        ``streets`` (rank arterial / secondary / local / path, name), ``water`` (the river,
        kind 'water'), ``stations`` (kind 'grid_station'), and the district ``boundary``, all in
        EPSG:32650 (UTM 50N) unless ``config.crs`` says otherwise. ``meta['blocks']`` holds the
        blocks (their land inside the streets' red lines) with their use and households.

    Raises
    ------
    InputError
        When ``households`` or ``seed`` is not a whole number in range, or ``compounds`` is not
        a known distribution.
    """
    for name, value, low in (("households", households, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise InputError(f"{name} = {value!r}: expected a whole number >= {low}")
    if compounds not in COMPOUND_DISTRIBUTIONS:
        raise InputError(f"compounds = {compounds!r}: expected one of "
                         f"{', '.join(map(repr, COMPOUND_DISTRIBUTIONS))}")
    config = config or PlanConfig()
    households, seed = int(households), int(seed)
    if households > config.max_households_district:     # a typo would run for days
        raise InputError(f"households = {households:,}: expected at most "
                         f"{config.max_households_district:,} in one district "
                         "(max_households_district)")
    area_m2 = households / GROSS_DENSITY_FLOOR_PER_KM2 * 1e6
    half_m = math.sqrt(area_m2 * DISTRICT_ASPECT[1] / math.pi) * LAYOUT_MARGIN + LAYOUT_MARGIN_M
    while True:
        try:
            district = _District(np.random.default_rng(seed), households, half_m,
                                 COMPOUND_DISTRIBUTIONS[compounds], TOWERS[compounds])
            district.fill()
            break
        except _Exhausted:  # the laid-out area was too small: lay out more, same seed
            half_m *= 1.5
    homes, streets, barriers, stations, boundary, blocks = district.layers(config.radius_m)
    city = make_city(homes, streets, barriers, stations, boundary, config=config,
                     source=f"synth(households={households}, seed={seed}"
                            + ("" if compounds == "beike" else f", compounds={compounds!r}") + ")")
    city.meta["blocks"] = blocks.to_crs(city.crs)
    return city


class _Exhausted(Exception):
    pass


def _cn(n: int) -> str:
    """A whole number 1..999 in Chinese numerals (for street names); larger ones in digits."""
    if n < 1 or n > 999:
        return str(n)
    h, t, u = n // 100, n // 10 % 10, n % 10
    out = f"{_DIGITS[h]}百" if h else ""
    if t:
        out += ("" if t == 1 and not h else _DIGITS[t]) + "十"
    elif h and u:
        out += "零"
    return out + (_DIGITS[u] if u else "")


def _compound_sizes(total: int, rng: np.random.Generator, distribution) -> np.ndarray:
    """Compound households drawn from ``distribution`` (percentiles, values), summing exactly to
    ``total``."""
    percentiles, values = distribution
    logs = np.log(values)
    sizes = np.zeros(0, dtype=np.int64)
    while sizes.sum() < total:
        n = int((total - sizes.sum()) / 2000) + 8
        draw = np.exp(np.interp(rng.random(n), percentiles, logs))
        sizes = np.concatenate([sizes, np.round(draw).astype(np.int64)])
    cum = np.cumsum(sizes)
    k = int(np.searchsorted(cum, total)) + 1
    sizes = sizes[:k].copy()
    sizes[-1] = total - (cum[k - 2] if k > 1 else 0)
    if k > 1 and sizes[-1] < values[0]:
        sizes[-2] += sizes[-1]
        sizes = sizes[:-1]
    return sizes


def _split_exact(total: int, n: int, low: int, high: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` whole numbers in [low, high] summing to ``total`` (low * n <= total <= high * n)."""
    if n == 1:
        return np.array([total], dtype=np.int64)
    extra, room = total - low * n, high - low
    w = rng.uniform(0.5, 1.5, n)
    e = np.minimum(np.floor(extra * w / w.sum()), room).astype(np.int64)
    left = extra - int(e.sum())
    while left > 0:
        free = np.flatnonzero(e < room)
        if left >= len(free):
            add = np.minimum(room - e[free], left // len(free))
            e[free] += add
            left -= int(add.sum())
        else:
            e[rng.choice(free, left, replace=False)] += 1
            left = 0
    return low + e


def _count(span: float, size: float, pitch: float) -> int:
    """How many footprints of ``size`` fit in ``span`` at ``pitch`` centre to centre."""
    return int(math.floor((span - size) / pitch + 1e-6)) + 1 if span >= size - 1e-6 else 0


def _slots(rect, kind: _Kind):
    """Centres of a row-major grid of footprint slots centred in ``rect`` (rows run east-west)."""
    x0, y0, x1, y1 = rect
    px, py = kind.length_m[1] + kind.gap_x_m, kind.depth_m[1] + kind.gap_y_m
    nx, ny = _count(x1 - x0, kind.length_m[1], px), _count(y1 - y0, kind.depth_m[1], py)
    xs = x0 + (x1 - x0 - (nx - 1) * px) / 2 + np.arange(nx) * px
    ys = y0 + (y1 - y0 - (ny - 1) * py) / 2 + np.arange(ny) * py
    cx, cy = np.meshgrid(xs, ys)
    return cx.ravel(), cy.ravel()


def _capacity(rect, kind: _Kind) -> int:
    x0, y0, x1, y1 = rect
    return (_count(x1 - x0, kind.length_m[1], kind.length_m[1] + kind.gap_x_m)
            * _count(y1 - y0, kind.depth_m[1], kind.depth_m[1] + kind.gap_y_m))


class _River:
    """A sinuous river running west to east, with its banks sampled for block queries."""

    def __init__(self, rng: np.random.Generator, x0: float, x1: float, radius_m: float):
        x = np.arange(x0 - 2 * RIVER_WAVELENGTH_M[1][1], x1 + 2 * RIVER_WAVELENGTH_M[1][1],
                      RIVER_STEP_M)
        y0 = rng.uniform(-1, 1) * RIVER_OFFSET_SHARE * radius_m
        y, dy = np.full_like(x, y0), np.zeros_like(x)
        for amp, wave in zip(RIVER_MEANDER_M, RIVER_WAVELENGTH_M):
            a, k = rng.uniform(*amp), 2 * math.pi / rng.uniform(*wave)
            phase = rng.uniform(0, 2 * math.pi)
            y += a * np.sin(k * x + phase)
            dy += a * k * np.cos(k * x + phase)
        lo, hi = RIVER_WIDTH_M
        k, phase = 2 * math.pi / rng.uniform(*RIVER_WAVELENGTH_M[0]), rng.uniform(0, 2 * math.pi)
        half_w = ((lo + hi) / 2 + (hi - lo) / 2 * np.sin(k * x + phase)) / 2
        norm = np.hypot(dy, 1.0)
        nx, ny = -dy / norm * half_w, 1.0 / norm * half_w
        left, right = np.c_[x + nx, y + ny], np.c_[x - nx, y - ny]
        self.polygon = shapely.make_valid(shapely.Polygon(np.vstack([left, right[::-1]])))
        banks = np.vstack([left, right])
        order = np.argsort(banks[:, 0], kind="stable")
        self.bx, self.by = banks[order, 0], banks[order, 1]

    def band(self, x0: float, x1: float) -> tuple[float, float]:
        """Lowest and highest bank y over ``x0..x1`` (conservative: one sample beyond each end)."""
        i = max(int(np.searchsorted(self.bx, x0 - 2 * RIVER_STEP_M)), 0)
        j = int(np.searchsorted(self.bx, x1 + 2 * RIVER_STEP_M, side="right"))
        return float(self.by[i:j].min()), float(self.by[i:j].max())


def _axis(rng: np.random.Generator, half_m: float):
    """Arterial positions covering ``±half_m``, and for each strip between two arterials its
    dividers (fractions of the strip), which divider is the secondary street, and its name."""
    lo, hi = ARTERIAL_SPACING_M
    n = int(2 * half_m / lo) + 3
    start = -half_m - rng.uniform(lo, hi)
    arterials = start + np.concatenate([[0.0], np.cumsum(rng.uniform(lo, hi, n))])
    strips = []
    for w in np.diff(arterials):
        pieces = [p for p in (2, 3) if BLOCK_SIDE_M[0] <= w / p <= BLOCK_SIDE_M[1]] or [2]
        p = pieces[int(rng.integers(len(pieces)))]
        share = 1 + rng.uniform(-BLOCK_SIDE_SPREAD, BLOCK_SIDE_SPREAD, p)
        cuts = np.cumsum(share / share.sum())[:-1]
        secondary = int(rng.integers(p - 1))
        strips.append((cuts, secondary, _NAME_WORDS[int(rng.integers(len(_NAME_WORDS)))]))
    return arterials, strips


@dataclass
class _Block:
    sb: int
    row: int
    col: int
    rect: tuple          # x0, y0, x1, y1 between street centrelines (or the river's setback)
    sides: tuple         # rank of the left, right, bottom, top edge
    river: bool = False  # cut by the river: holds no compound that spans blocks
    use: str | None = None
    households: int = 0
    frame: tuple | None = None
    caps: dict = field(default_factory=dict)


@dataclass
class _Superblock:
    i: int
    j: int
    xs: np.ndarray
    xranks: list
    xnames: list
    ys: np.ndarray
    yranks: list
    ynames: list
    blocks: list


class _Buildings:
    """Footprints collected as arrays per block, joined into one table at the end."""

    def __init__(self):
        self.parts = []

    def add(self, cx, cy, lx, ly, households, kind, compound, levels, entrances, names):
        self.parts.append((cx, cy, lx, ly, households, np.full(len(cx), kind, dtype=object),
                           np.full(len(cx), compound, dtype=object), levels, entrances,
                           np.asarray(names, dtype=object)))

    def frame(self) -> pd.DataFrame:
        cols = ("cx", "cy", "lx", "ly", "households", "kind", "compound", "levels", "entrances",
                "name")
        if not self.parts:
            return pd.DataFrame({c: [] for c in cols})
        data = {c: np.concatenate([p[k] for p in self.parts]) for k, c in enumerate(cols)}
        return pd.DataFrame(data)


class _District:
    """The layout state: grid, river, queue of compounds, and what has been built."""

    def __init__(self, rng: np.random.Generator, households: int, half_m: float, distribution,
                 towers=(TOWER, TOWER_CHANCE_BY_HOUSEHOLDS)):
        self.rng = rng
        self.tower = towers[0]
        self.ax, self.xstrips = _axis(rng, half_m)
        self.ay, self.ystrips = _axis(rng, half_m)
        radius = math.sqrt(households / GROSS_DENSITY_FLOOR_PER_KM2 * 1e6 / math.pi)
        self.river = _River(rng, self.ax[0], self.ax[-1], radius)
        self.lowrise_left = int(round(households * LOWRISE_HOUSEHOLD_SHARE))
        sizes = _compound_sizes(households - self.lowrise_left, rng, distribution)
        p_tower = np.interp(sizes, *towers[1])
        towers = rng.random(len(sizes)) < p_tower
        per_building = (np.exp(rng.uniform(*np.log(TOWER_BEIKE_PER_BUILDING), len(sizes)))
                        if self.tower is TOWER_BEIKE else np.full(len(sizes), np.nan))
        words = rng.integers(len(_NAME_WORDS), size=len(sizes))
        suffixes = rng.integers(len(_COMPOUND_SUFFIXES), size=len(sizes))
        self.names_used: dict[str, int] = {}
        self.queue = []
        for s, tower, w, x, pb in zip(sizes, towers, words, suffixes, per_building):
            self.queue.append(self._compound(int(s), bool(tower),
                                             _NAME_WORDS[w] + _COMPOUND_SUFFIXES[x], pb))
        self.aspect = rng.uniform(*DISTRICT_ASPECT)
        self.superblocks: list[_Superblock] = []
        self.buildings = _Buildings()
        self.paths: dict = {}
        self.numbered: dict[str, int] = {}
        self.lowrise_blocks = 0

    # --- compounds -------------------------------------------------------------------------

    def _compound(self, households: int, tower: bool, name: str,
                  per_building: float = np.nan) -> dict:
        kind = self.tower if tower else MIDRISE
        if households < kind.households[0]:
            kind = MIDRISE if households >= MIDRISE.households[0] else LOWRISE
        n = self.names_used.get(name, 0) + 1
        self.names_used[name] = n
        cid = f"c{sum(self.names_used.values()):05d}"
        return {"id": cid, "name": name if n == 1 else f"{name}{_cn(n)}期",
                "households": households, "kind": kind, "per_building": per_building}

    # --- filling ---------------------------------------------------------------------------

    def _work_left(self) -> bool:
        return bool(self.queue) or self.lowrise_left > 0

    def fill(self) -> None:
        """Fill superblocks from the centre outwards until every household has a home."""
        cx = (self.ax[:-1] + self.ax[1:]) / 2
        cy = (self.ay[:-1] + self.ay[1:]) / 2
        gi, gj = np.meshgrid(np.arange(len(cx)), np.arange(len(cy)), indexing="ij")
        prio = np.hypot(cx[gi] * self.aspect, cy[gj] / self.aspect).ravel()
        for k in np.argsort(prio, kind="stable"):
            if not self._work_left():
                return
            self._fill_superblock(self._superblock(int(gi.ravel()[k]), int(gj.ravel()[k])))
        if self._work_left():
            raise _Exhausted

    def _cuts(self, arterials, strips, i):
        cuts, secondary, word = strips[i]
        a0, a1 = arterials[i], arterials[i + 1]
        pos = a0 + (a1 - a0) * cuts
        shift = self.rng.uniform(-LOCAL_SHIFT_M, LOCAL_SHIFT_M, len(cuts))
        shift[secondary] = 0.0
        pos = pos + shift
        ranks = ["arterial"] + ["secondary" if k == secondary else "local"
                                for k in range(len(cuts))] + ["arterial"]
        names = [None] + [f"{word}路" if k == secondary else
                          f"{_NAME_WORDS[int(self.rng.integers(len(_NAME_WORDS)))]}巷"
                          for k in range(len(cuts))] + [None]
        return np.concatenate([[a0], pos, [a1]]), ranks, names

    def _superblock(self, i: int, j: int) -> _Superblock:
        xs, xr, xn = self._cuts(self.ax, self.xstrips, i)
        ys, yr, yn = self._cuts(self.ay, self.ystrips, j)
        sb = _Superblock(i, j, xs, xr, xn, ys, yr, yn, [])
        k = len(self.superblocks)
        for r in range(len(ys) - 1):
            cols = range(len(xs) - 1)
            for c in (cols if r % 2 == 0 else reversed(cols)):
                b = _Block(k, r, c, (xs[c], ys[r], xs[c + 1], ys[r + 1]),
                           (xr[c], xr[c + 1], yr[r], yr[r + 1]))
                self._cut_by_river(b)
                sb.blocks.append(b)
        self.superblocks.append(sb)
        return sb

    def _cut_by_river(self, b: _Block) -> None:
        x0, y0, x1, y1 = b.rect
        lo, hi = self.river.band(x0, x1)
        if hi < y0 - RIVER_BANK_SETBACK_M or lo > y1 + RIVER_BANK_SETBACK_M:
            return
        b.river = True
        below = lo - RIVER_BANK_SETBACK_M - y0
        above = y1 - hi - RIVER_BANK_SETBACK_M
        left, right, bottom, top = b.sides
        if max(below, above) < RIVER_BLOCK_MIN_M:
            b.use = "park"
        elif below >= above:
            b.rect, b.sides = (x0, y0, x1, y0 + below), (left, right, bottom, "river")
        else:
            b.rect, b.sides = (x0, y1 - above, x1, y1), (left, right, "river", top)

    def _frame(self, b: _Block):
        """Street-front shop rows along the block's arterial sides, and the rect left inside."""
        if b.frame is None:
            x0, y0, x1, y1 = b.rect
            left, right, bottom, top = b.sides
            ix0, ix1 = x0 + SETBACK_M[left], x1 - SETBACK_M[right]
            iy0, iy1 = y0 + SETBACK_M[bottom], y1 - SETBACK_M[top]
            shops = []
            for side in ("bottom", "top", "left", "right"):
                rank = b.sides[("left", "right", "bottom", "top").index(side)]
                if rank != "arterial" or self.rng.random() >= SHOP_SIDE_CHANCE:
                    continue
                depth = self.rng.uniform(*SHOP_DEPTH_M)
                along = (ix0, ix1) if side in ("bottom", "top") else (iy0, iy1)
                n = int((along[1] - along[0]) / SHOP_LENGTH_M[0]) + 1
                length = self.rng.uniform(*SHOP_LENGTH_M, n)
                gap = self.rng.uniform(*SHOP_GAP_M, n)
                end = np.cumsum(length + gap) - gap
                keep = end <= along[1] - along[0]
                if not keep.any():
                    continue
                mid = along[0] + end[keep] - length[keep] / 2
                ln = length[keep]
                if side == "bottom":
                    shops.append((mid, np.full_like(mid, iy0 + depth / 2), ln, depth))
                    iy0 += depth + SHOP_BACK_GAP_M
                elif side == "top":
                    shops.append((mid, np.full_like(mid, iy1 - depth / 2), ln, depth))
                    iy1 -= depth + SHOP_BACK_GAP_M
                elif side == "left":
                    shops.append((np.full_like(mid, ix0 + depth / 2), mid, depth, ln))
                    ix0 += depth + SHOP_BACK_GAP_M
                else:
                    shops.append((np.full_like(mid, ix1 - depth / 2), mid, depth, ln))
                    ix1 -= depth + SHOP_BACK_GAP_M
            b.frame = (shops, (ix0, iy0, max(ix1, ix0), max(iy1, iy0)))
        return b.frame

    def _caps(self, b: _Block, kind: _Kind) -> tuple[float, int]:
        """Typical and largest households a block can hold in buildings of ``kind``."""
        if kind not in b.caps:
            slots = _capacity(self._frame(b)[1], kind)
            b.caps[kind] = (slots * kind.typical_households, slots * kind.households[1])
        return b.caps[kind]

    def _build(self, b: _Block, use: str) -> None:
        b.use = use
        shops, _ = self._frame(b)
        for cx, cy, lx, ly in shops:
            n = len(cx)
            self.buildings.add(cx, cy, np.broadcast_to(lx, n).astype(float),
                               np.broadcast_to(ly, n).astype(float), np.zeros(n, np.int64),
                               "commercial", None,
                               self.rng.integers(SHOP_LEVELS[0], SHOP_LEVELS[1] + 1, n),
                               np.ones(n, np.int64), ["商铺"] * n)

    def _fill_superblock(self, sb: _Superblock) -> None:
        blocks, i = sb.blocks, 0
        shares = np.cumsum(list(BLOCK_USE_SHARE.values()))
        while i < len(blocks) and self._work_left():
            b = blocks[i]
            if b.use is not None:
                i += 1
                continue
            use = (list(BLOCK_USE_SHARE) + ["compound"])[int(np.searchsorted(
                shares, self.rng.random(), side="right"))]
            if use == "lowrise" and self.lowrise_left == 0:
                use = "compound"
            if use == "compound" and not self.queue:
                use = "lowrise"
            if use == "compound":
                i = self._place_compounds(sb, i)
                continue
            if use == "lowrise":
                self._lowrise(b)
            elif use == "office":
                self._offices(b)
            else:
                b.use = use
            i += 1

    def _place_compounds(self, sb: _Superblock, i: int) -> int:
        """Place the next compound (or a few small ones) from block ``i``; the next free block."""
        blocks = sb.blocks
        run = [i]
        if not blocks[i].river:
            for j in range(i + 1, len(blocks)):
                if blocks[j].river or blocks[j].use is not None:
                    break
                run.append(j)
        pick = None
        for k, c in enumerate(self.queue[:COMPOUND_LOOKAHEAD]):
            if c["households"] <= sum(self._caps(blocks[j], c["kind"])[1] for j in run):
                pick = k
                break
        if pick is None:
            whole = i == 0 and len(run) == len(blocks)
            if not whole:  # left over: the district's schools and pocket parks
                blocks[i].use = "school" if self.rng.random() < LEFTOVER_SCHOOL_CHANCE else "park"
                return i + 1
            c = self.queue[0]
            typical = sum(self._caps(blocks[j], c["kind"])[0] for j in run)
            first = min(int(typical), c["households"] - PHASE_MIN_HOUSEHOLDS)
            rest = self._compound(c["households"] - first, c["kind"] is self.tower, c["name"],
                                  c["per_building"])
            c["households"] = first
            self.queue.insert(1, rest)
            pick = 0
        c = self.queue.pop(pick)
        typical0 = self._caps(blocks[i], c["kind"])[0]
        if c["households"] <= typical0 * BLOCK_STRETCH:
            group, k = [c], 0
            while (k < min(len(self.queue), COMPOUND_LOOKAHEAD)
                   and len(group) < PARCELS_PER_BLOCK_MAX):
                more = group + [self.queue[k]]
                if (sum(g["households"] for g in more) <= typical0
                        and self._stack(blocks[i], more) is not None):
                    group.append(self.queue.pop(k))
                else:
                    k += 1
            b = blocks[i]
            self._build(b, "compound")
            for g, rect in zip(group, self._stack(b, group)):
                n = self._buildings_for(g, _capacity(rect, g["kind"]))
                self._place(b, rect, g, _split_exact(g["households"], n, *g["kind"].households,
                                                     self.rng))
            return i + 1
        take, typical = [], 0.0
        for j in run:
            take.append(j)
            typical += self._caps(blocks[j], c["kind"])[0]
            if typical * BLOCK_STRETCH >= c["households"]:
                break
        slots = np.array([_capacity(self._frame(blocks[j])[1], c["kind"]) for j in take])
        n = self._buildings_for(c, int(slots.sum()))
        share = n * slots / slots.sum()
        per_block = np.floor(share).astype(np.int64)
        short = n - int(per_block.sum())
        per_block[np.argsort(per_block - share, kind="stable")[:short]] += 1
        hh = _split_exact(c["households"], n, *c["kind"].households, self.rng)
        start = 0
        for k, j in enumerate(take):
            b = blocks[j]
            self._build(b, "compound")
            self._place(b, self._frame(b)[1], c, hh[start:start + per_block[k]])
            start += per_block[k]
            if k:
                self._merge(sb, blocks[take[k - 1]], b, c["name"])
        return take[-1] + 1

    def _buildings_for(self, c: dict, slots: int) -> int:
        households, kind = c["households"], c["kind"]
        typical = (c["per_building"] if kind is self.tower and np.isfinite(c["per_building"])
                   else kind.typical_households)
        low, high = kind.households
        n_min = -(-households // high)
        n_max = max(households // low, 1)
        return int(np.clip(round(households / typical), n_min, min(n_max, slots)))

    def _stack(self, b: _Block, group: list) -> list | None:
        """Parcels for a group of compounds sharing a block, stacked south to north; None when
        they do not fit."""
        x0, y0, x1, y1 = self._frame(b)[1]
        need, want = [], []
        for g in group:
            kind, s = g["kind"], g["households"]
            px, py = kind.length_m[1] + kind.gap_x_m, kind.depth_m[1] + kind.gap_y_m
            nx = _count(x1 - x0, kind.length_m[1], px)
            if nx == 0:
                return None
            n_min = -(-s // kind.households[1])
            n_want = max(n_min, round(s / kind.typical_households))
            need.append((-(-n_min // nx) - 1) * py + kind.depth_m[1])
            want.append((-(-n_want // nx) - 1) * py + kind.depth_m[1])
        free = (y1 - y0) - sum(need) - PARCEL_GAP_M * (len(group) - 1)
        if free < 0:
            return None
        rects, y = [], y0
        for lo, w in zip(need, want):
            h = lo + free * w / sum(want)
            rects.append((x0, y, x1, y + h))
            y += h + PARCEL_GAP_M
        return rects

    def _place(self, b: _Block, rect, c: dict, households: np.ndarray) -> None:
        """Put buildings of the compound's kind with these households on random slots of rect."""
        kind, n = c["kind"], len(households)
        if n == 0:
            return
        cx, cy = _slots(rect, kind)
        pick = np.sort(self.rng.choice(len(cx), n, replace=False))
        cx, cy = cx[pick], cy[pick]
        rng = self.rng
        if kind is self.tower:
            served = rng.uniform(*TOWER_HOUSEHOLDS_PER_ENTRANCE, n)
            entrances = np.clip(np.round(households / served), 2, 4).astype(np.int64)
            flats = rng.integers(TOWER_FLATS_PER_LANDING[0], TOWER_FLATS_PER_LANDING[1] + 1, n)
            levels = np.clip(np.round(households / (entrances * flats)),
                             *kind.levels).astype(np.int64)
            span = kind.length_m[1] - kind.length_m[0]  # longer with more entrances
            lx = kind.length_m[0] + span * (0.4 * (entrances - 2) + 0.2 * rng.random(n))
            ly = rng.uniform(*kind.depth_m, n)
        elif kind is MIDRISE:
            entrances = np.ones(n, np.int64)
            levels = np.full(n, kind.levels[0], np.int64)
            lo, hi = kind.households
            span = kind.length_m[1] - kind.length_m[0]  # longer with more households
            lx = kind.length_m[0] + span * (0.75 * (households - lo) / (hi - lo)
                                            + 0.25 * rng.random(n))
            ly = np.full(n, kind.depth_m[0])
        else:
            entrances = np.ones(n, np.int64)
            levels = rng.integers(kind.levels[0], kind.levels[1] + 1, n)
            lx, ly = rng.uniform(*kind.length_m, n), rng.uniform(*kind.depth_m, n)
        # slack inside the slot lets rows look less ruled
        cx = cx + rng.uniform(-0.5, 0.5, n) * (kind.length_m[1] - lx)
        first = self.numbered.get(c["id"], 0)
        self.numbered[c["id"]] = first + n
        names = [f"{c['name']}{first + k + 1}号楼" for k in range(n)]
        self.buildings.add(cx, cy, lx, ly, households.astype(np.int64), "residential", c["id"],
                           levels, entrances, names)
        b.households += int(households.sum())

    def _merge(self, sb: _Superblock, a: _Block, b: _Block, name: str) -> None:
        """Two blocks of one compound: a local street between them becomes its inner path."""
        if a.row == b.row:
            key, rank = ("v", a.sb, max(a.col, b.col), a.row), sb.xranks[max(a.col, b.col)]
        else:
            key, rank = ("h", a.sb, max(a.row, b.row), a.col), sb.yranks[max(a.row, b.row)]
        if rank == "local":
            self.paths[key] = f"{name}内路"

    def _lowrise(self, b: _Block) -> None:
        self._build(b, "lowrise")
        cx, cy = _slots(self._frame(b)[1], LOWRISE)
        hh = self.rng.integers(LOWRISE.households[0], LOWRISE.households[1] + 1, len(cx))
        cum = np.cumsum(hh)
        k = int(np.searchsorted(cum, self.lowrise_left))
        if k < len(hh):
            hh = hh[:k + 1]
            hh[k] = self.lowrise_left - (cum[k - 1] if k else 0)
        n = len(hh)
        if n == 0:
            return
        self.lowrise_blocks += 1
        rng = self.rng
        lx, ly = rng.uniform(*LOWRISE.length_m, n), rng.uniform(*LOWRISE.depth_m, n)
        names = [f"旧区{self.lowrise_blocks}-{k + 1}号" for k in range(n)]
        self.buildings.add(cx[:n], cy[:n], lx, ly, hh.astype(np.int64), "residential", None,
                           rng.integers(LOWRISE.levels[0], LOWRISE.levels[1] + 1, n),
                           np.ones(n, np.int64), names)
        self.lowrise_left -= int(hh.sum())
        b.households += int(hh.sum())

    def _offices(self, b: _Block) -> None:
        self._build(b, "office")
        cx, cy = _slots(self._frame(b)[1], OFFICE)
        if len(cx) == 0:
            return
        rng = self.rng
        n = min(len(cx), int(rng.integers(OFFICES_PER_BLOCK[0], OFFICES_PER_BLOCK[1] + 1)))
        pick = np.sort(rng.choice(len(cx), n, replace=False))
        lx, ly = rng.uniform(*OFFICE.length_m, n), rng.uniform(*OFFICE.depth_m, n)
        names = [f"{_NAME_WORDS[w]}大厦" for w in rng.integers(len(_NAME_WORDS), size=n)]
        self.buildings.add(cx[pick], cy[pick], lx, ly, np.zeros(n, np.int64), "commercial", None,
                           rng.integers(OFFICE.levels[0], OFFICE.levels[1] + 1, n),
                           np.ones(n, np.int64), names)

    # --- layers ----------------------------------------------------------------------------

    def _streets(self):
        """Street segments (coords, rank, name) of the used superblocks; arterials carry a vertex
        wherever a street meets them, so every junction is a shared coordinate."""
        i0 = min(sb.i for sb in self.superblocks)
        j0 = min(sb.j for sb in self.superblocks)
        edges: dict = {}
        out = []
        for k, sb in enumerate(self.superblocks):
            xs, ys = sb.xs, sb.ys
            for c in range(1, len(xs) - 1):
                for r in range(len(ys) - 1):
                    key = ("v", k, c, r)
                    rank = "path" if key in self.paths else sb.xranks[c]
                    out.append((((xs[c], ys[r]), (xs[c], ys[r + 1])), rank,
                                self.paths.get(key, sb.xnames[c])))
            for r in range(1, len(ys) - 1):
                for c in range(len(xs) - 1):
                    key = ("h", k, r, c)
                    rank = "path" if key in self.paths else sb.yranks[r]
                    out.append((((xs[c], ys[r]), (xs[c + 1], ys[r])), rank,
                                self.paths.get(key, sb.ynames[r])))
            for edge, inner in ((("H", sb.j, sb.i), xs[1:-1]), (("H", sb.j + 1, sb.i), xs[1:-1]),
                                (("V", sb.i, sb.j), ys[1:-1]), (("V", sb.i + 1, sb.j), ys[1:-1])):
                edges.setdefault(edge, set()).update(inner.tolist())
        for (axis, a, b), inner in edges.items():
            if axis == "H":
                y, xa, xb = self.ay[a], self.ax[b], self.ax[b + 1]
                xv = [xa, *sorted(inner), xb]
                out.append((tuple((x, y) for x in xv), "arterial", f"经{_cn(a - j0 + 1)}路"))
            else:
                x, ya, yb = self.ax[a], self.ay[b], self.ay[b + 1]
                yv = [ya, *sorted(inner), yb]
                out.append((tuple((x, y) for y in yv), "arterial", f"纬{_cn(a - i0 + 1)}路"))
        return out

    def layers(self, radius_m: float):
        """The GeoDataFrames of the district in EPSG:32650, and its blocks."""
        rng = self.rng
        boxes = shapely.box(*np.array(
            [[self.ax[s.i], self.ay[s.j], self.ax[s.i + 1], self.ay[s.j + 1]]
             for s in self.superblocks]).T)
        boundary = shapely.union_all(boxes)
        if boundary.geom_type != "Polygon":
            boundary = boundary.convex_hull
        boundary = shapely.Polygon(boundary.exterior)

        segs = self._streets()
        lines = np.array([shapely.LineString(s[0]) for s in segs], dtype=object)
        ranks = np.array([s[1] for s in segs], dtype=object)
        names = np.array([s[2] for s in segs], dtype=object)
        river = shapely.intersection(self.river.polygon, boundary)
        hit = shapely.intersects(lines, river)
        vertical = np.array([s[0][0][0] == s[0][-1][0] for s in segs])
        crossing = np.unique([s[0][0][0] for s, h, v, r in zip(segs, hit, vertical, ranks)
                              if h and v and r == "arterial"])
        bridges = crossing[rng.random(len(crossing)) < BRIDGE_SHARE]
        if len(crossing) and not len(bridges):
            bridges = crossing[[int(np.argmin(np.abs(crossing)))]]
        is_bridge = vertical & (ranks == "arterial") & np.isin(
            [s[0][0][0] for s in segs], bridges)
        cut = hit & ~is_bridge
        cut_geoms = shapely.difference(lines[cut], river.buffer(STREET_BANK_GAP_M))
        streets = gpd.GeoDataFrame(
            {"rank": np.concatenate([ranks[~cut], ranks[cut]]),
             "name": np.concatenate([names[~cut], names[cut]])},
            geometry=np.concatenate([lines[~cut], cut_geoms]))
        streets = streets.explode(index_parts=False, ignore_index=True)
        streets = streets[~streets.is_empty & (streets.length > 1.0)].reset_index(drop=True)

        df = self.buildings.frame()
        cx, cy = df["cx"].to_numpy(float), df["cy"].to_numpy(float)
        lx, ly = df["lx"].to_numpy(float), df["ly"].to_numpy(float)
        hh = df["households"].to_numpy(np.int64)
        offset = np.array([ORIGIN_E_M, ORIGIN_N_M])
        homes = gpd.GeoDataFrame(
            {HOUSEHOLDS: hh, KIND: df["kind"].astype(object),
             COMPOUND: df["compound"].astype(object),
             LEVELS: df["levels"].to_numpy(np.int64),
             ENTRANCES: df["entrances"].to_numpy(np.int64), NAME: df["name"].astype(object)},
            geometry=shapely.box(cx - lx / 2 + offset[0], cy - ly / 2 + offset[1],
                                 cx + lx / 2 + offset[0], cy + ly / 2 + offset[1]), crs=CRS)

        picks = _site_stations(cx, cy, hh, radius_m, rng)
        stations = gpd.GeoDataFrame(
            {KIND: "grid_station", NAME: [f"网格站{k + 1}" for k in range(len(picks))]},
            geometry=shapely.points(cx[picks] + offset[0], cy[picks] + offset[1]), crs=CRS)

        def shift(g):
            return shapely.transform(g, lambda xy: xy + offset)

        streets = streets.set_geometry(shift(np.asarray(streets.geometry.values))).set_crs(CRS)
        rivers = [shift(g) for g in shapely.get_parts(river) if g.area > 0]
        water = gpd.GeoDataFrame({KIND: ["water"] * len(rivers), NAME: ["小清河"] * len(rivers)},
                                 geometry=gpd.GeoSeries(rivers, crs=CRS), crs=CRS)
        blocks = [b for sb in self.superblocks for b in sb.blocks]
        half = np.array([[ROAD_HALF_WIDTH_M[r] for r in b.sides] for b in blocks])
        rects = np.array([b.rect for b in blocks]) + half[:, [0, 2, 1, 3]] * [1, 1, -1, -1]
        blocks = gpd.GeoDataFrame(
            {"use": [b.use or "vacant" for b in blocks],
             "households": np.array([b.households for b in blocks], np.int64),
             "river": [b.river for b in blocks]},
            geometry=shift(shapely.box(*rects.T)), crs=CRS)
        return homes, streets, water, stations, shift(boundary), blocks


def _site_stations(cx, cy, households, radius_m, rng) -> np.ndarray:
    """Indices of homes that get a station: random homes, each kept only while the household
    share within ``radius_m`` of a station stays under the cap, until it reaches the target."""
    homes = np.flatnonzero(households > 0)
    if len(homes) == 0:
        return np.zeros(0, np.int64)
    pts = np.c_[cx[homes], cy[homes]]
    w = households[homes].astype(float)
    total, (target, cap) = w.sum(), STATION_COVERAGE
    tree = cKDTree(pts)
    covered = np.zeros(len(homes), bool)
    got, chosen = 0.0, []
    order = rng.permutation(len(homes))
    for start in range(0, len(order), 64):
        batch = order[start:start + 64]
        for k, near in zip(batch, tree.query_ball_point(pts[batch], radius_m)):
            near = np.asarray(near, np.int64)
            new = near[~covered[near]]
            gain = w[new].sum()
            if gain == 0 or (chosen and got + gain > cap * total):
                continue
            covered[new] = True
            got += gain
            chosen.append(homes[k])
            if got >= target * total:
                return np.array(chosen, np.int64)
    return np.array(chosen, np.int64)
