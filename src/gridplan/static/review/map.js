/* gridplan review page, the map: grids, homes, moved cells and count labels on the vendored
 * Leaflet, with the review map's basemaps and ground (window.gridplan, review_map.js). */
var gridplanReviewPage = gridplanReviewPage || {};

/** Draw the session ``s`` of the rules ``R`` in the element #gp-map. ``view`` gives the
 * selection ({grid, unit}) and takes the clicks: {selection(), onGridClick(g), onHomeClick(i)}. */
gridplanReviewPage.map = function (R, s, view) {
  'use strict';
  var D = R.data, U = R.units, GR = R.grids, N = R.N, i;
  var map = L.map('gp-map', {zoomSnap: 0.25, preferCanvas: false});
  // grid fills under the review map's ground panes (water 385, streets 390, buildings 395),
  // homes above them
  [['gpGrids', 380], ['gpMoved', 382], ['gpHomes', 420]].forEach(function (p) {
    map.createPane(p[0]).style.zIndex = p[1];
  });
  var GP = window.gridplan;
  var bases = GP.tileLayers(D.bases);
  var baseControl = {};
  bases.forEach(function (b) {
    baseControl[b.name] = b.layer;
    if (b.show) { b.layer.addTo(map); }
  });
  var renderer = N > 5000 ? L.canvas({pane: 'gpHomes'}) : undefined;

  var gridLayers = GR.shape.map(function (geom, g) {
    var layer = L.geoJSON(geom, {style: {pane: 'gpGrids', className: 'gp-edit-grid',
                                         fillColor: GR.colour[g], fillOpacity: 0.55,
                                         color: '#555', weight: 1}}).getLayers()[0];
    layer.on('click', function (e) { L.DomEvent.stopPropagation(e); view.onGridClick(g); });
    return layer;
  });
  // the map needs a view before its layers get their SVG paths
  map.fitBounds(L.featureGroup(gridLayers).getBounds(), {padding: [10, 10]});
  gridLayers.forEach(function (layer, g) {
    layer.addTo(map);
    if (layer._path) { layer._path.setAttribute('data-grid', GR.id[g]); }
  });
  var movedLayer = L.layerGroup().addTo(map);

  var maxHh = Math.max.apply(null, U.households.concat([1]));
  var markers = [];
  for (i = 0; i < N; i++) {
    (function (i) {
      var m = L.circleMarker([U.lat[i], U.lon[i]], {
        pane: 'gpHomes', renderer: renderer, className: 'gp-edit-home',
        radius: 3 + 6 * Math.sqrt(U.households[i] / maxHh),
        color: '#252525', weight: 1, fillColor: '#ffffff', fillOpacity: 0.95});
      m.on('click', function (e) { L.DomEvent.stopPropagation(e); view.onHomeClick(i); });
      m.bindTooltip(function () {
        return R.homeName(i) + ' · ' + U.households[i] + ' · ' + GR.id[s.rowGrid[i]];
      });
      m.addTo(map);
      if (m._path) { m._path.setAttribute('data-unit', String(i)); }
      markers.push(m);
    })(i);
  }
  var labels = GR.label.map(function (p, g) {
    var icon = L.divIcon({className: 'gp-count-icon', iconSize: null,
                          html: '<span class="gp-count" data-grid="' + GR.id[g] + '"></span>'});
    return L.marker([p[1], p[0]], {icon: icon, interactive: false, keyboard: false}).addTo(map);
  });

  // the review map's ground, buildings in the colour of the grid that holds them now
  var datum;
  var ground = D.ground ? GP.ground(map, D.ground, {
    colours: GR.colour, noGrid: D.no_grid,
    datum: function () { return datum ? datum.datum : 'wgs84'; }}) : {};
  var homeUnits = {};
  for (i = 0; i < N; i++) { (homeUnits[U.home_index[i]] = homeUnits[U.home_index[i]] || []).push(i); }
  function buildingColour(b) {
    var units = homeUnits[D.ground.buildings.home[b]];
    if (!units) { return D.no_grid; }
    var best = units[0];
    units.forEach(function (j) { if (U.households[j] > U.households[best]) { best = j; } });
    return GR.colour[s.rowGrid[best]];
  }
  var overlayControl = {}, datumLayers = {
    grids: L.featureGroup(gridLayers), homes: L.featureGroup(markers),
    labels: L.layerGroup(labels), moved: movedLayer};
  ['streets', 'water', 'buildings'].forEach(function (k) {
    if (ground[k] && (ground[k].gpCount || ground[k].getLayers().length)) {
      ground[k].addTo(map);
      overlayControl[D.map_words[k]] = ground[k];
      datumLayers[k] = ground[k];
    }
  });
  L.control.layers(baseControl, overlayControl, {collapsed: false, position: 'topright'})
    .addTo(map);
  datum = GP.followDatum(map, datumLayers,
                         bases.filter(function (b) { return b.gcj02; })
                              .map(function (b) { return b.layer; }));
  map.on('gridplan:datum', function () { placeLabels(); });

  /** The grid in focus and the grids it may give to or take from. */
  function focus() {
    var sel = view.selection();
    var near = {};
    (sel.unit !== null ? R.targets(s.rowGrid, sel.unit)
      : sel.grid !== null ? R.gridNeighbours(s.rowGrid, sel.grid) : [])
      .forEach(function (g) { near[g] = true; });
    return {grid: sel.unit !== null ? s.rowGrid[sel.unit] : sel.grid, near: near, unit: sel.unit};
  }

  // Grid labels that never overlap: the selected grid first, then the grids it may give
  // to or take from, then grids outside the range, then the rest; a label whose box would
  // touch one already shown stays hidden until there is room (zooming in makes room).
  function placeLabels() {
    var f = focus();
    var rank = function (g) {
      return g === f.grid ? 0 : f.near[g] ? 1 : !R.inRange(s.S[g].households) ? 2 : 3;
    };
    var bounds = map.getBounds().pad(0.05), boxes = [];
    labels.forEach(function (m, g) {
      var e = m.getElement(), span = e && e.firstChild;
      if (!span) { return; }
      span.style.visibility = 'hidden';
      if (bounds.contains(m.getLatLng())) { boxes.push({g: g, span: span}); }
    });
    boxes.forEach(function (b) { b.r = b.span.getBoundingClientRect(); });
    boxes.sort(function (a, b) { return rank(a.g) - rank(b.g) || a.g - b.g; });
    var CELL = 64, cells = {}, shown = 0;
    function keys(r) {
      var out = [];
      for (var x = Math.floor(r.left / CELL); x <= Math.floor(r.right / CELL); x++) {
        for (var y = Math.floor(r.top / CELL); y <= Math.floor(r.bottom / CELL); y++) {
          out.push(x + ':' + y);
        }
      }
      return out;
    }
    function hits(a, b) {
      return a.left < b.right + 2 && b.left < a.right + 2 && a.top < b.bottom + 2 && b.top < a.bottom + 2;
    }
    boxes.forEach(function (b) {
      var ks = keys(b.r);
      var clash = ks.some(function (k) {
        return (cells[k] || []).some(function (r) { return hits(r, b.r); });
      });
      if (clash) { return; }
      ks.forEach(function (k) { (cells[k] = cells[k] || []).push(b.r); });
      b.span.style.visibility = '';
      shown += 1;
    });
    return shown;
  }
  map.on('zoomend moveend', placeLabels);

  /** Restyle everything after a change of selection or of the session. */
  function draw() {
    var f = focus();
    gridLayers.forEach(function (layer, g) {
      var out = !R.inRange(s.S[g].households);
      layer.setStyle(g === f.grid ? {color: '#000', weight: 3, dashArray: null}
        : f.near[g] ? {color: '#ff7f00', weight: 3, dashArray: '6 4'}
        : out ? {color: '#d7301f', weight: 2, dashArray: null}
        : {color: '#555', weight: 1, dashArray: null});
    });
    movedLayer.clearLayers();
    for (var i = 0; i < N; i++) {
      var moved = s.rowGrid[i] !== s.start[i];
      if (moved) {
        (function (i) {
          var cell = L.geoJSON(D.cells[i], {style: {
            pane: 'gpMoved', className: 'gp-moved-cell', fillColor: GR.colour[s.rowGrid[i]],
            fillOpacity: 0.8, color: '#333', weight: 1, dashArray: '3 3'}}).getLayers()[0];
          cell.on('click', function (e) {
            L.DomEvent.stopPropagation(e);
            view.onGridClick(s.rowGrid[i]);
          });
          movedLayer.addLayer(GP.toDatum(cell, datum.datum));
        })(i);
      }
      markers[i].setStyle(i === f.unit ? {fillColor: '#ffd92f', color: '#000', weight: 3}
        : moved ? {fillColor: '#ffffff', color: '#e6550d', weight: 2.5}
        : {fillColor: '#ffffff', color: '#252525', weight: 1});
    }
    labels.forEach(function (m, g) {
      var span = m.getElement() && m.getElement().querySelector('.gp-count');
      if (!span) { return; }
      span.textContent = GR.id[g] + ' · ' + s.S[g].households;
      span.classList.toggle('gp-out', !R.inRange(s.S[g].households));
      span.classList.toggle('gp-selected', g === f.grid);
    });
    if (ground.buildings) { ground.buildings.gpRestyle(buildingColour); }
    placeLabels();
  }

  return {map: map, layers: datumLayers, datum: datum, draw: draw, placeLabels: placeLabels};
};
