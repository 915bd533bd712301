/* gridplan review map: layer styles, the legend and summary panels, and the shift of every
 * overlay to GCJ-02 while a GCJ-02 basemap (AMap) is shown. One copy of the data stays in
 * WGS84; shifted coordinates are computed from it each time the basemap changes datum.
 * Leaflet is touched only inside functions, so this file may load before Leaflet. */
(function (root) {
  'use strict';

  // The GCJ-02 shift, term for term as gridplan.io.datum.wgs84_to_gcj02 (Krasovsky 1940).
  var A = 6378245.0;
  var EE = 0.00669342162296594323;
  var PI = Math.PI;

  function outOfChina(lon, lat) {
    return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
  }

  function wgs84ToGcj02(lon, lat) {
    if (outOfChina(lon, lat)) { return [lon, lat]; }
    var x = lon - 105.0;
    var y = lat - 35.0;
    var sx = Math.sqrt(Math.abs(x));
    var common = (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    var dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + common
      + (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0
      + (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0);
    var dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + common
      + (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0
      + (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0);
    var rad = lat / 180.0 * PI;
    var s = Math.sin(rad);
    var magic = 1.0 - EE * s * s;
    var sqrtMagic = Math.sqrt(magic);
    dlat = dlat * 180.0 / ((A * (1.0 - EE)) / (magic * sqrtMagic) * PI);
    dlon = dlon * 180.0 / (A / sqrtMagic * Math.cos(rad) * PI);
    return [lon + dlon, lat + dlat];
  }

  function toGcj02(p) {
    var q = wgs84ToGcj02(p.lng, p.lat);
    return L.latLng(q[1], q[0]);
  }

  function mapLatLngs(latlngs, fn) {
    if (L.Util.isArray(latlngs)) {
      return latlngs.map(function (x) { return mapLatLngs(x, fn); });
    }
    return fn(latlngs);
  }

  // Move a layer (and everything inside it) to its WGS84 coordinates passed through fn, or
  // back to them when fn is null. The WGS84 coordinates are kept on the layer the first time.
  function shift(layer, fn) {
    if (L.MarkerClusterGroup && layer instanceof L.MarkerClusterGroup) {
      // re-cluster once rather than moving markers one by one inside the cluster tree
      var markers = layer.getLayers();
      layer.clearLayers();
      markers.forEach(function (m) { shift(m, fn); });
      layer.addLayers(markers);
    } else if (layer.eachLayer) {
      layer.eachLayer(function (child) { shift(child, fn); });
    } else if (layer.setLatLngs) {
      if (!layer._gpWgs84) { layer._gpWgs84 = layer.getLatLngs(); }
      layer.setLatLngs(fn ? mapLatLngs(layer._gpWgs84, fn) : layer._gpWgs84);
    } else if (layer.setLatLng) {
      if (!layer._gpWgs84) { layer._gpWgs84 = layer.getLatLng(); }
      layer.setLatLng(fn ? fn(layer._gpWgs84) : layer._gpWgs84);
    }
  }

  function panel(map, html, position, className) {
    var control = L.control({position: position});
    control.onAdd = function () {
      var div = L.DomUtil.create('div', 'gp-panel ' + className);
      div.innerHTML = html;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    return control.addTo(map);
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }

  // Street ranks and barriers as a planner reads them: arterials wide, locals thin, paths
  // dotted; rivers blue, rail dashed black and white, motorways orange.
  var STREET = {
    arterial: {color: '#fffdf5', casing: '#4d4d4d', weight: 6},
    secondary: {color: '#fffdf5', casing: '#7a7a7a', weight: 4},
    local: {color: '#fffdf5', casing: '#a3a3a3', weight: 2.2},
    path: {color: '#4d4d4d', casing: null, weight: 1.3, dash: '1 4'}
  };
  var BARRIER = {
    water: {color: '#3b8bc2', fill: '#a6cee3', weight: 3},
    rail: {color: '#ffffff', casing: '#333333', weight: 1.4, dash: '6 6'},
    motorway: {color: '#f5a142', casing: '#b35806', weight: 4}
  };
  var GROUND_PANES = [['gpWater', 385], ['gpStreets', 390], ['gpBuildings', 395]];

  function groundPanes(map) {
    GROUND_PANES.forEach(function (p) {
      if (!map.getPane(p[0])) {
        var pane = map.createPane(p[0]);
        pane.style.zIndex = p[1];
        pane.style.pointerEvents = 'none';
      }
    });
  }

  function latLngs(flat) {
    var out = [];
    for (var i = 0; i + 1 < flat.length; i += 2) { out.push(L.latLng(flat[i + 1], flat[i])); }
    return out;
  }

  var homeIcon = null;

  root.gridplan = {
    wgs84ToGcj02: wgs84ToGcj02,
    toGcj02: toGcj02,
    shift: shift,

    // A style function for grids: fill from the feature, a thick dashed outline when flagged.
    gridStyle: function (o) {
      return function (f) {
        var p = f.properties;
        return {fillColor: p._fill, fillOpacity: o.fillOpacity, color: p._flag ? o.flag : o.line,
                weight: p._flag ? o.flagWeight : o.weight, dashArray: p._flag ? '8 5' : null,
                className: 'gp-grid'};
      };
    },

    communityStyle: function (o) {
      return function (f) {
        var p = f.properties;
        return {fill: false, color: p._flag ? o.flag : o.line, weight: o.weight,
                dashArray: p._flag ? '10 6' : null, className: 'gp-community'};
      };
    },

    // A station: its radius circle (metres) and a dot, as one layer; only the dot when
    // o.radius is null, only the circle when o.dot is null (the circles as a layer of
    // their own, which a map of many stations hides at first).
    stationMarker: function (o) {
      return function (f, latlng) {
        var circle = o.radius ? L.circle(latlng, {
          radius: o.radius, color: o.color, weight: 1, dashArray: o.dash, fillColor: o.color,
          fillOpacity: 0.06, interactive: false, className: o.className + '-radius'}) : null;
        var dot = o.dot ? L.circleMarker(latlng, {radius: o.dot, color: '#ffffff', weight: 1.5,
                                                  fillColor: o.color, fillOpacity: 1,
                                                  className: o.className}) : null;
        if (!circle || !dot) { return circle || dot; }
        // tooltips and popups bound on the GeoJSON layer read the feature of the inner layer
        circle.feature = dot.feature = f;
        return L.featureGroup([circle, dot]);
      };
    },

    // The radius circle of a station or proposed station: colour and dash from the feature.
    radiusCircle: function (o) {
      return function (f, latlng) {
        var p = f.properties;
        return L.circle(latlng, {radius: o.radius, color: p._colour, weight: 1.2,
                                 dashArray: p._dash, fillColor: p._colour, fillOpacity: 0.05,
                                 interactive: false,
                                 className: o.className + (p._dash ? ' gp-proposed-radius' : ' gp-station-radius')});
      };
    },

    dot: function (o) {
      return function (f, latlng) { return L.circleMarker(latlng, o); };
    },

    // A home of the clustered layer: row = [lat, lon, households, grid ids].
    homeMarker: function (row, words) {
      if (!homeIcon) {
        homeIcon = L.divIcon({className: 'gp-home', iconSize: [8, 8]});
      }
      var m = L.marker(L.latLng(row[0], row[1]), {icon: homeIcon});
      m.bindTooltip(function () {
        return escapeHtml(words.households) + ': ' + row[2] + '<br>' +
               escapeHtml(words.grid_id) + ': ' + escapeHtml(row[3]);
      });
      return m;
    },

    // The datum of a page's overlays follows its basemap: shifted to GCJ-02 while a base
    // layer in gcjBases is shown, back to WGS84 otherwise. layers: {name: layer}, read each
    // time, so a page may add layers later. Returns {datum, setDatum}.
    followDatum: function (map, layers, gcjBases) {
      var state = {datum: 'wgs84'};
      state.setDatum = function (datum) {
        if (datum === state.datum) { return; }
        var fn = datum === 'gcj02' ? toGcj02 : null;
        Object.keys(layers).forEach(function (k) { shift(layers[k], fn); });
        state.datum = datum;
        map.fire('gridplan:datum', {datum: datum});
      };
      map.on('baselayerchange', function (e) {
        state.setDatum(gcjBases.indexOf(e.layer) >= 0 ? 'gcj02' : 'wgs84');
      });
      gcjBases.forEach(function (b) { if (map.hasLayer(b)) { state.setDatum('gcj02'); } });
      return state;
    },

    // A layer (a new shape drawn later) moved to the datum the page shows now.
    toDatum: function (layer, datum) {
      if (datum === 'gcj02') { shift(layer, toGcj02); }
      return layer;
    },

    // Tile layers from gridplan.outputs.map.basemaps.basemap_specs: [{key, name, url, attr,
    // subdomains, max_zoom, gcj02, show, parts: [spec] (one base of several tile layers)}].
    tileLayers: function (specs) {
      return specs.map(function (s) {
        var one = function (p) {
          return L.tileLayer(p.url, {attribution: p.attr, subdomains: p.subdomains || 'abc',
                                     maxZoom: p.max_zoom});
        };
        var layer = s.parts ? L.layerGroup(s.parts.map(one)) : one(s);
        return {key: s.key, name: s.name, layer: layer, gcj02: s.gcj02, show: s.show};
      });
    },

    /**
     * The ground under a plan (gridplan.outputs.map.ground.ground_data): streets by rank, water
     * and rail, buildings coloured by their grid. Drawn in their own panes between the grid
     * fills and the other overlays, never catching the mouse (a grid's tooltip shows through).
     * Local streets and paths appear from data.minor_zoom, buildings from
     * data.buildings_zoom; while buildings show, the map container has the class
     * gp-buildings-on (map.html then lightens the grid fills).
     *
     * o: {colours: [colour per grid row], noGrid: colour, datum: function giving the datum
     * the page shows now}. Returns {streets, water, buildings}, each a featureGroup (not yet
     * on the map); buildings are made when the map first reaches their zoom (gpBuild makes
     * them at once), and buildings.gpRestyle(colourOf) recolours them from a function of
     * their index.
     */
    ground: function (map, data, o) {
      groundPanes(map);
      var streets = L.featureGroup(), water = L.featureGroup(), buildings = L.featureGroup();
      var order = ['path', 'local', 'secondary', 'arterial'];    // minor ones drawn first
      order.forEach(function (rank) {
        var st = STREET[rank];
        data.streets.xy.forEach(function (xy, i) {
          if (data.streets.rank[i] !== rank) { return; }
          var ll = latLngs(xy);
          if (st.casing) {
            streets.addLayer(L.polyline(ll, {pane: 'gpStreets', interactive: false,
              color: st.casing, weight: st.weight + 2.5, opacity: 1, lineCap: 'round',
              className: 'gp-street-casing gp-street-' + rank}));
          }
          streets.addLayer(L.polyline(ll, {pane: 'gpStreets', interactive: false,
            color: st.color, weight: st.weight, opacity: 1, dashArray: st.dash || null,
            lineCap: 'round', className: 'gp-street gp-street-' + rank}));
        });
      });
      data.water.xy.forEach(function (xy, i) {
        var kind = data.water.kind[i], ll = latLngs(xy), st = BARRIER[kind] || BARRIER.water;
        if (data.water.area[i]) {
          water.addLayer(L.polygon(ll, {pane: 'gpWater', interactive: false, color: st.color,
            weight: 1, fillColor: st.fill, fillOpacity: 0.85, className: 'gp-water gp-' + kind}));
        } else {
          if (st.casing) {
            water.addLayer(L.polyline(ll, {pane: 'gpWater', interactive: false,
              color: st.casing, weight: st.weight + 2, className: 'gp-water-casing'}));
          }
          water.addLayer(L.polyline(ll, {pane: 'gpWater', interactive: false, color: st.color,
            weight: st.weight, dashArray: st.dash || null, className: 'gp-water gp-' + kind}));
        }
      });
      var b = data.buildings, hhMax = Math.max.apply(null, b.households.concat([1]));
      var colourOf = function (i) { return b.grid[i] >= 0 ? o.colours[b.grid[i]] : o.noGrid; };
      // Buildings are drawn the first time the map reaches their zoom: a district of a
      // million households opens without drawing 12,800 footprints nobody can see yet.
      var shapes = [];
      function build() {
        if (shapes.length || !b.xy.length) { return; }
        var gcj = o.datum && o.datum() === 'gcj02';
        b.xy.forEach(function (xy, i) {
          var layer;
          if (xy.length === 2) {        // an address point of a register
            layer = L.circleMarker([xy[1], xy[0]], {pane: 'gpBuildings', interactive: false,
              radius: 3.5 + 6 * Math.sqrt(b.households[i] / hhMax), color: '#333333',
              weight: 0.8, fillColor: colourOf(i), fillOpacity: 0.95, className: 'gp-building'});
          } else {
            layer = L.polygon(latLngs(xy), {pane: 'gpBuildings', interactive: false,
              color: '#333333', weight: 0.6, fillColor: colourOf(i), fillOpacity: 0.9,
              className: 'gp-building'});
          }
          layer.gpIndex = i;
          if (gcj) { shift(layer, toGcj02); }
          shapes.push(layer);
        });
        shapes.forEach(function (l) { buildings.addLayer(l); });
      }
      buildings.gpBuild = build;
      buildings.gpCount = b.xy.length;
      buildings.gpRestyle = function (fn) {
        colourOf = fn;
        shapes.forEach(function (s, i) { s.setStyle({fillColor: fn(i)}); });
      };
      // only footprints take the colour from the grid fills; an address point is too small
      var footprints = b.xy.some(function (xy) { return xy.length > 2; });
      function byZoom() {
        var z = map.getZoom(), c = map.getContainer();
        L.DomUtil[z < data.minor_zoom ? 'addClass' : 'removeClass'](c, 'gp-minor-off');
        var on = z >= data.buildings_zoom;
        if (on && map.hasLayer(buildings)) { build(); }
        map.getPane('gpBuildings').style.display = on ? '' : 'none';
        L.DomUtil[on && footprints && map.hasLayer(buildings) ? 'addClass' : 'removeClass'](
          c, 'gp-buildings-on');
      }
      map.on('zoomend overlayadd overlayremove', byZoom);
      buildings.on('add', function () { map.whenReady(byZoom); });
      map.whenReady(byZoom);
      return {streets: streets, water: water, buildings: buildings};
    },

    /**
     * Wire up a review map: panels, hover highlight of grids, layers hidden at first, the
     * ground layers, and the datum of the overlays following the basemap.
     *
     * map: L.Map; cfg: {summary, legend, hidden: [names], highlight: name, ground, colours,
     * words}; overlays: {name: layer}; gcjBases: base layers drawn in GCJ-02; control: the
     * layer control.
     */
    review: function (map, cfg, overlays, gcjBases, control) {
      if (cfg.ground) {
        var state0 = null;
        var g = root.gridplan.ground(map, cfg.ground, {
          colours: cfg.colours, noGrid: cfg.noGrid,
          datum: function () { return state0 ? state0.datum : 'wgs84'; }});
        ['streets', 'water', 'buildings'].forEach(function (k) {
          var layer = g[k];
          if (!(layer.gpCount || layer.getLayers().length)) { return; }
          layer.addTo(map);
          overlays[k] = layer;
          if (control) { control.addOverlay(layer, cfg.words[k]); }
        });
      }
      var state = root.gridplan.followDatum(map, overlays, gcjBases);
      state0 = state;
      state.map = map;
      state.layers = overlays;
      state.gcjBases = gcjBases;
      state.ground = cfg.ground || null;
      (cfg.hidden || []).forEach(function (k) {
        if (overlays[k] && map.hasLayer(overlays[k])) { map.removeLayer(overlays[k]); }
      });
      var grids = overlays[cfg.highlight];
      if (grids) {
        grids.on('mouseover', function (e) {
          e.layer.setStyle({weight: 3, fillOpacity: 0.65});
        });
        grids.on('mouseout', function (e) { grids.resetStyle(e.layer); });
      }
      state.summary = panel(map, cfg.summary, 'bottomleft', 'gp-summary-panel');
      state.legend = panel(map, cfg.legend, 'bottomright', 'gp-legend-panel');
      root.gridplanReview = state;
      return state;
    }
  };
})(window);
