"""The Folium review map of a plan."""

from __future__ import annotations

import folium
import numpy as np

#: Colours of a grid by its households against the bounds.
COLOURS = {"below": "#d7301f", "in": "#2b8cbe", "above": "#7a0177"}


def _wgs(gdf):
    return gdf.to_crs(4326)


def plan_map(plan, *, simplify_m: float = 2.0) -> folium.Map:
    """A layered map: grids coloured against the household bounds, communities, stations with
    their radius, uncovered homes and proposed stations.

    Parameters
    ----------
    plan : Plan
    simplify_m : float
        Tolerance for simplifying polygons for display, in metres.
    """
    cfg = plan.config
    grids = plan.grids.copy()
    lo, hi = cfg.min_households, cfg.max_households
    grids["status"] = np.where(grids["households"] < lo, "below",
                               np.where(grids["households"] > hi, "above", "in"))
    grids["geometry"] = grids.geometry.simplify(simplify_m)
    g = _wgs(grids)
    x0, y0, x1, y1 = g.total_bounds
    m = folium.Map(location=[(y0 + y1) / 2, (x0 + x1) / 2], zoom_start=14, tiles="OpenStreetMap",
                   control_scale=True)
    m.fit_bounds([[y0, x0], [y1, x1]])
    cols = [c for c in ("grid_id", "community_id", "households", "homes", "polsby_popper",
                        "share_radius", "share_15min") if c in g.columns]
    folium.GeoJson(
        g[cols + ["status", "geometry"]], name="grids",
        style_function=lambda f: {"fillColor": COLOURS[f["properties"]["status"]],
                                  "color": "#333333", "weight": 1, "fillOpacity": 0.35},
        tooltip=folium.GeoJsonTooltip(fields=cols),
    ).add_to(m)
    c = _wgs(plan.communities)
    folium.GeoJson(c[["community_id", "households", "grids", "geometry"]], name="communities",
                   style_function=lambda f: {"fill": False, "color": "#000000", "weight": 3},
                   tooltip=folium.GeoJsonTooltip(fields=["community_id", "households", "grids"]),
                   ).add_to(m)
    st = folium.FeatureGroup(name=f"stations and {cfg.radius_m:.0f} m radius")
    for _, r in _wgs(plan.stations).iterrows():
        folium.Circle([r.geometry.y, r.geometry.x], radius=cfg.radius_m, color="#238b45",
                      weight=1, fill=True, fill_opacity=0.05).add_to(st)
        folium.CircleMarker([r.geometry.y, r.geometry.x], radius=4, color="#006d2c",
                            fill=True, tooltip=str(r.get("name", "station"))).add_to(st)
    st.add_to(m)
    if len(plan.proposed):
        pr = folium.FeatureGroup(name="proposed stations")
        for _, r in _wgs(plan.proposed).iterrows():
            folium.CircleMarker([r.geometry.y, r.geometry.x], radius=5, color="#fd8d3c",
                                fill=True, tooltip=f"proposed #{r['proposed_rank']}").add_to(pr)
        pr.add_to(m)
    unc = plan.uncovered
    if len(unc):
        pts = _wgs(unc.set_geometry(unc.geometry.representative_point()))
        ug = folium.FeatureGroup(name="homes beyond the radius", show=False)
        for _, r in pts.iterrows():
            folium.CircleMarker([r.geometry.y, r.geometry.x], radius=2, color="#cb181d",
                                tooltip=f"{r['households']} households, {r['dist_m']:.0f} m").add_to(ug)
        ug.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m
