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

  var homeIcon = null;

  root.gridplan = {
    wgs84ToGcj02: wgs84ToGcj02,

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

    // A station: its radius circle (metres) and a dot, as one layer.
    stationMarker: function (o) {
      return function (f, latlng) {
        var circle = L.circle(latlng, {radius: o.radius, color: o.color, weight: 1,
                                       dashArray: o.dash, fillColor: o.color, fillOpacity: 0.06,
                                       interactive: false, className: o.className + '-radius'});
        var dot = L.circleMarker(latlng, {radius: o.dot, color: '#ffffff', weight: 1.5,
                                          fillColor: o.color, fillOpacity: 1,
                                          className: o.className});
        // tooltips and popups bound on the GeoJSON layer read the feature of the inner layer
        circle.feature = dot.feature = f;
        return L.featureGroup([circle, dot]);
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

    /**
     * Wire up a review map: panels, hover highlight of grids, layers hidden at first, and the
     * datum of the overlays following the basemap.
     *
     * map: L.Map; cfg: {summary, legend, hidden: [names], highlight: name};
     * overlays: {name: layer}; gcjBases: base layers drawn in GCJ-02.
     */
    review: function (map, cfg, overlays, gcjBases) {
      var state = {map: map, layers: overlays, datum: 'wgs84', gcjBases: gcjBases};
      state.setDatum = function (datum) {
        if (datum === state.datum) { return; }
        var fn = datum === 'gcj02' ? toGcj02 : null;
        Object.keys(overlays).forEach(function (k) { shift(overlays[k], fn); });
        state.datum = datum;
        map.fire('gridplan:datum', {datum: datum});
      };
      map.on('baselayerchange', function (e) {
        state.setDatum(gcjBases.indexOf(e.layer) >= 0 ? 'gcj02' : 'wgs84');
      });
      gcjBases.forEach(function (b) { if (map.hasLayer(b)) { state.setDatum('gcj02'); } });
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
