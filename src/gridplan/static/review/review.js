/* gridplan review page: select a grid, move homes (or building parts) between neighbouring
 * grids with live counts, comment on grids and homes, and export or import the session as
 * edits.geojson. Plain JavaScript on the vendored Leaflet; the data sits in the page as JSON
 * (#gp-data) and nothing is fetched.
 *
 * The rules are gridplan's (gridplan.outputs.review.rules): a home moves only to a grid it
 * touches, a compound that fits in one grid moves whole, and the grid it leaves must keep a
 * home and stay in as many pieces as it was. Counts outside the range turn red; gridplan
 * refuses a move that leaves a grid outside the range at the end of the session. */
(function () {
  'use strict';

  var D = JSON.parse(document.getElementById('gp-data').textContent);
  var W = D.words, M = D.meta, U = D.units, GR = D.grids;
  var N = U.households.length, NG = GR.id.length;
  var AUTHOR_KEY = 'gridplan.review.author';

  function fmt(s, o) {
    return String(s).replace(/\{(\w+)\}/g, function (m, k) {
      return Object.prototype.hasOwnProperty.call(o, k) ? o[k] : m;
    });
  }
  var BASE = {lo: M.lo, hi: M.hi, radius: M.radius_m, minutes: M.walk_minutes};
  function t(key, o) { return fmt(W[key], Object.assign({}, BASE, o || {})); }

  // --- the graph: who touches whom, who moves together ---------------------------------
  var nbrs = [], nbrShared = [];
  for (var i = 0; i < N; i++) { nbrs.push([]); nbrShared.push([]); }
  D.pairs.a.forEach(function (a, k) {
    var b = D.pairs.b[k], s = D.pairs.shared_m[k];
    nbrs[a].push(b); nbrShared[a].push(s);
    nbrs[b].push(a); nbrShared[b].push(s);
  });
  var groups = {};
  U.group.forEach(function (g, i) { (groups[g] = groups[g] || []).push(i); });
  function members(i) { return groups[U.group[i]]; }
  var unitByKey = {}, gridByKey = {};
  for (i = 0; i < N; i++) { unitByKey[U.home_index[i] + ':' + U.part[i]] = i; }
  GR.id.forEach(function (id, g) { gridByKey[id] = g; });

  var start = Int32Array.from(U.grid);
  var rowGrid = Int32Array.from(U.grid);
  var moves = [], comments = [];
  var sel = {grid: null, unit: null};

  // --- figures ---------------------------------------------------------------------------
  // A grid's perimeter is its cells' perimeters less twice the edges they share inside it,
  // so compactness follows each move without drawing the new shape.
  function stats() {
    var s = [], g, k;
    for (g = 0; g < NG; g++) {
      s.push({households: 0, homes: 0, area: 0, perimeter: 0, radius: 0, walk: 0, seen: {}});
    }
    for (var i = 0; i < N; i++) {
      var x = s[rowGrid[i]], h = U.households[i];
      x.households += h;
      if (!x.seen[U.home_index[i]]) { x.seen[U.home_index[i]] = true; x.homes += 1; }
      x.area += U.area_m2[i];
      x.perimeter += U.perimeter_m[i];
      x.radius += h * U.radius[i];
      x.walk += h * U.walk[i];
    }
    for (k = 0; k < D.pairs.a.length; k++) {
      var a = D.pairs.a[k], b = D.pairs.b[k];
      if (rowGrid[a] === rowGrid[b]) { s[rowGrid[a]].perimeter -= 2 * D.pairs.shared_m[k]; }
    }
    return s.map(function (x) {
      return {households: x.households, homes: x.homes,
              polsby_popper: x.perimeter > 0 ? 4 * Math.PI * x.area / (x.perimeter * x.perimeter) : null,
              share_radius: x.households ? x.radius / x.households : 0,
              share_walk: x.households ? x.walk / x.households : 0};
    });
  }
  var S = stats();
  var S0 = S;
  function distance(h) { return Math.max(M.lo - h, h - M.hi, 0); }
  function inRange(h) { return h >= M.lo && h <= M.hi; }

  function unitsOf(g) {
    var out = [];
    for (var i = 0; i < N; i++) { if (rowGrid[i] === g) { out.push(i); } }
    return out;
  }
  function pieces(list) {
    var inSet = {}, seen = {}, count = 0;
    list.forEach(function (u) { inSet[u] = true; });
    list.forEach(function (u) {
      if (seen[u]) { return; }
      count += 1;
      var stack = [u];
      seen[u] = true;
      while (stack.length) {
        var v = stack.pop();
        nbrs[v].forEach(function (w) {
          if (inSet[w] && !seen[w]) { seen[w] = true; stack.push(w); }
        });
      }
    });
    return count;
  }
  function byId(a, b) { return GR.id[a] < GR.id[b] ? -1 : GR.id[a] > GR.id[b] ? 1 : 0; }
  function gridNeighbours(g) {
    var out = {};
    for (var i = 0; i < N; i++) {
      if (rowGrid[i] !== g) { continue; }
      nbrs[i].forEach(function (j) { if (rowGrid[j] !== g) { out[rowGrid[j]] = true; } });
    }
    return Object.keys(out).map(Number).sort(byId);
  }
  function targets(i) {
    var out = {}, own = rowGrid[i];
    members(i).forEach(function (j) {
      nbrs[j].forEach(function (k) { if (rowGrid[k] !== own) { out[rowGrid[k]] = true; } });
    });
    return Object.keys(out).map(Number).sort(byId);
  }
  function groupHouseholds(i) {
    return members(i).reduce(function (s, j) { return s + U.households[j]; }, 0);
  }
  function homeName(i) {
    return U.part[i] ? t('home_part', {home: U.home_index[i], part: U.part[i]})
                     : t('home', {home: U.home_index[i]});
  }
  function what(i) {
    var grp = members(i);
    return grp.length > 1 ? t('compound_what', {home: homeName(i), compound: U.compound[i],
                                                n: grp.length})
                          : homeName(i);
  }

  // --- moves -----------------------------------------------------------------------------
  /** Why unit i may not move to grid dst now (null when it may). */
  function check(i, dst) {
    var src = rowGrid[i], grp = members(i), gid = GR.id[dst];
    if (dst === src) { return t('same_grid', {what: what(i), grid: gid}); }
    var touches = grp.some(function (j) {
      return nbrs[j].some(function (k) { return rowGrid[k] === dst; });
    });
    if (!touches) { return t('not_touch', {what: what(i), grid: gid}); }
    var inGroup = {};
    grp.forEach(function (j) { inGroup[j] = true; });
    var all = unitsOf(src);
    var left = all.filter(function (j) { return !inGroup[j]; });
    if (!left.length) { return t('empties', {what: what(i), grid: GR.id[src]}); }
    var before = pieces(all), after = pieces(left);
    if (after > before) {
      return before === 1 ? t('splits', {what: what(i), grid: GR.id[src], n: after})
                          : t('splits_more', {what: what(i), grid: GR.id[src], n: after,
                                              m: before});
    }
    return null;
  }

  function now() { return new Date().toISOString(); }
  function author() { return (authorBox && authorBox.value || '').trim(); }

  function moveUnit(i, dst, who, quiet) {
    var why = check(i, dst);
    if (why) {
      if (!quiet) { say(t('refused', {why: why}), false); }
      return {ok: false, reason: why};
    }
    var src = rowGrid[i], a = S[src].households, c = S[dst].households;
    members(i).forEach(function (j) { rowGrid[j] = dst; });
    moves.push({unit: i, from: src, to: dst, group: members(i).slice(),
                author: who ? who.author || '' : author(), time: who ? who.time || '' : now()});
    S = stats();
    var text = t('moved', {what: what(i), src: GR.id[src], a: a, b: S[src].households,
                           dst: GR.id[dst], c: c, d: S[dst].households});
    if (!quiet) { say(text, true); refresh(); }
    return {ok: true, message: text};
  }

  function undo() {
    var m = moves.pop();
    if (!m) { return; }
    m.group.forEach(function (j) { rowGrid[j] = m.from; });
    S = stats();
    say(t('undone', {what: what(m.unit), src: GR.id[m.from], dst: GR.id[m.to]}), true);
    refresh();
  }

  // --- comments, export, import ----------------------------------------------------------
  function sameTarget(c, target) {
    return c.target === target.target && (target.target === 'grid'
      ? c.grid_id === target.grid_id
      : c.home_index === target.home_index && c.part === target.part);
  }
  function targetName(target) {
    if (target.target === 'grid') { return t('grid', {grid: target.grid_id}); }
    var i = unitByKey[target.home_index + ':' + target.part];
    return i === undefined ? t('home', {home: target.home_index}) : homeName(i);
  }
  function addComment(target, text, who) {
    text = (text || '').trim();
    if (!text) { say(W.empty_comment, false); return false; }
    comments.push(Object.assign({}, target, {text: text,
      author: who ? who.author || '' : author(), time: who ? who.time || '' : now()}));
    if (!who) { say(t('commented', {target: targetName(target)}), true); refresh(); }
    return true;
  }

  function point(lon, lat) { return {type: 'Point', coordinates: [lon, lat]}; }
  function collection() {
    var features = moves.map(function (m) {
      var i = m.unit;
      return {type: 'Feature', geometry: point(U.lon[i], U.lat[i]), properties: {
        type: 'move', home_index: U.home_index[i], part: U.part[i],
        from_grid: GR.id[m.from], to_grid: GR.id[m.to],
        households: m.group.reduce(function (s, j) { return s + U.households[j]; }, 0),
        compound: m.group.length > 1 ? U.compound[i] : null,
        author: m.author, time: m.time}};
    });
    comments.forEach(function (c) {
      var geom = null, props = {type: 'comment', target: c.target};
      if (c.target === 'grid') {
        var g = gridByKey[c.grid_id];
        if (g !== undefined) { geom = point(GR.label[g][0], GR.label[g][1]); }
        props.grid_id = c.grid_id;
      } else {
        var i = unitByKey[c.home_index + ':' + c.part];
        if (i !== undefined) { geom = point(U.lon[i], U.lat[i]); }
        props.home_index = c.home_index;
        props.part = c.part;
      }
      props.text = c.text;
      props.author = c.author;
      props.time = c.time;
      features.push({type: 'Feature', geometry: geom, properties: props});
    });
    return {type: 'FeatureCollection',
            gridplan: {plan: M.key, source: M.source, bounds: [M.lo, M.hi], exported: now()},
            features: features};
  }
  function exportEdits() {
    var fc = collection();
    var blob = new Blob([JSON.stringify(fc, null, 1)], {type: 'application/geo+json'});
    var url = URL.createObjectURL(blob);
    var a = document.createElement('a');
    a.href = url;
    a.download = 'edits.geojson';
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
    say(t('exported', {moves: moves.length, comments: comments.length}), true);
    return fc;
  }

  /** Replace the session with the edits of a FeatureCollection, replaying each move under
   * the page's rules. */
  function importEdits(fc) {
    if (!fc || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features)) {
      throw new Error('expected a GeoJSON FeatureCollection of edits');
    }
    rowGrid = Int32Array.from(start);
    moves = [];
    comments = [];
    S = stats();
    var out = {moves: 0, refused: [], comments: 0};
    fc.features.forEach(function (f, k) {
      var p = (f && f.properties) || {}, who = {author: p.author, time: p.time};
      if (p.type === 'move') {
        var i = unitByKey[p.home_index + ':' + p.part], dst = gridByKey[p.to_grid], why = null;
        if (i === undefined) {
          why = t('unknown_home', {what: p.part ? t('home_part', {home: p.home_index, part: p.part})
                                                : t('home', {home: p.home_index})});
        } else if (dst === undefined) {
          why = t('unknown_grid', {grid: p.to_grid});
        } else if (GR.id[rowGrid[i]] !== p.from_grid) {
          why = t('from_mismatch', {what: homeName(i), now: GR.id[rowGrid[i]], grid: p.from_grid});
        } else {
          var r = moveUnit(i, dst, who, true);
          why = r.ok ? null : r.reason;
        }
        if (why) { out.refused.push({edit: k + 1, reason: why}); } else { out.moves += 1; }
      } else if (p.type === 'comment') {
        var target = p.target === 'grid' ? {target: 'grid', grid_id: p.grid_id}
                                         : {target: 'home', home_index: p.home_index, part: p.part};
        if (addComment(target, p.text, who)) { out.comments += 1; }
      }
    });
    S = stats();
    sel = {grid: null, unit: null};
    say(t('imported', {moves: out.moves, refused: out.refused.length, comments: out.comments})
        + out.refused.map(function (r) { return ' #' + r.edit + ': ' + r.reason + '.'; }).join(''),
        !out.refused.length);
    refresh();
    return out;
  }

  // --- the map ---------------------------------------------------------------------------
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
    layer.on('click', function (e) { L.DomEvent.stopPropagation(e); onGridClick(g); });
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
      m.on('click', function (e) { L.DomEvent.stopPropagation(e); selectUnit(i); });
      m.bindTooltip(function () {
        return homeName(i) + ' · ' + U.households[i] + ' · ' + GR.id[rowGrid[i]];
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
    return GR.colour[rowGrid[best]];
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
  var datum = GP.followDatum(map, datumLayers,
                             bases.filter(function (b) { return b.gcj02; })
                                  .map(function (b) { return b.layer; }));
  map.on('gridplan:datum', function () { placeLabels(); });

  // Grid labels that never overlap: the selected grid first, then the grids it may give
  // to or take from, then grids outside the range, then the rest; a label whose box would
  // touch one already shown stays hidden until there is room (zooming in makes room).
  function placeLabels() {
    var focus = sel.unit !== null ? rowGrid[sel.unit] : sel.grid;
    var near = {};
    (sel.unit !== null ? targets(sel.unit) : sel.grid !== null ? gridNeighbours(sel.grid) : [])
      .forEach(function (g) { near[g] = true; });
    var rank = function (g) {
      return g === focus ? 0 : near[g] ? 1 : !inRange(S[g].households) ? 2 : 3;
    };
    var view = map.getBounds().pad(0.05), boxes = [];
    labels.forEach(function (m, g) {
      var e = m.getElement(), span = e && e.firstChild;
      if (!span) { return; }
      span.style.visibility = 'hidden';
      if (view.contains(m.getLatLng())) { boxes.push({g: g, span: span}); }
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

  function onGridClick(g) {
    if (sel.unit !== null && g !== rowGrid[sel.unit]) {
      moveUnit(sel.unit, g);
      return;
    }
    selectGrid(g);
  }
  function selectGrid(g) { sel = {grid: g, unit: null}; refresh(); }
  function selectUnit(i) { sel = {grid: null, unit: i}; refresh(); }

  function drawMap() {
    var focus = sel.unit !== null ? rowGrid[sel.unit] : sel.grid;
    var near = {};
    (sel.unit !== null ? targets(sel.unit) : sel.grid !== null ? gridNeighbours(sel.grid) : [])
      .forEach(function (g) { near[g] = true; });
    gridLayers.forEach(function (layer, g) {
      var out = !inRange(S[g].households);
      layer.setStyle(g === focus ? {color: '#000', weight: 3, dashArray: null}
        : near[g] ? {color: '#ff7f00', weight: 3, dashArray: '6 4'}
        : out ? {color: '#d7301f', weight: 2, dashArray: null}
        : {color: '#555', weight: 1, dashArray: null});
    });
    movedLayer.clearLayers();
    for (var i = 0; i < N; i++) {
      var moved = rowGrid[i] !== start[i];
      if (moved) {
        (function (i) {
          var cell = L.geoJSON(D.cells[i], {style: {
            pane: 'gpMoved', className: 'gp-moved-cell', fillColor: GR.colour[rowGrid[i]],
            fillOpacity: 0.8, color: '#333', weight: 1, dashArray: '3 3'}}).getLayers()[0];
          cell.on('click', function (e) { L.DomEvent.stopPropagation(e); onGridClick(rowGrid[i]); });
          movedLayer.addLayer(GP.toDatum(cell, datum.datum));
        })(i);
      }
      markers[i].setStyle(i === sel.unit ? {fillColor: '#ffd92f', color: '#000', weight: 3}
        : moved ? {fillColor: '#ffffff', color: '#e6550d', weight: 2.5}
        : {fillColor: '#ffffff', color: '#252525', weight: 1});
    }
    labels.forEach(function (m, g) {
      var span = m.getElement() && m.getElement().querySelector('.gp-count');
      if (!span) { return; }
      span.textContent = GR.id[g] + ' · ' + S[g].households;
      span.classList.toggle('gp-out', !inRange(S[g].households));
      span.classList.toggle('gp-selected', g === focus);
    });
    if (ground.buildings) { ground.buildings.gpRestyle(buildingColour); }
    placeLabels();
  }

  // --- the panel -------------------------------------------------------------------------
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined) { return; }
      if (k === 'text') { e.textContent = v; }
      else if (k === 'class') { e.className = v; }
      else if (k.slice(0, 2) === 'on') { e.addEventListener(k.slice(2), v); }
      else { e.setAttribute(k, v); }
    });
    (kids || []).forEach(function (c) {
      if (c !== null && c !== undefined) {
        e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
      }
    });
    return e;
  }
  function row(label, value, attrs) {
    return el('tr', {}, [el('th', {text: label}), el('td', Object.assign({text: value}, attrs || {}))]);
  }
  function pct(v) { return (100 * v).toFixed(1) + '%'; }
  function gridChip(g, text) {
    return el('button', {'class': 'gp-chip gp-grid-chip', 'data-grid': GR.id[g],
                         text: text || GR.id[g], onclick: function () { selectGrid(g); }});
  }

  var side = document.getElementById('gp-side');
  var authorBox = el('input', {type: 'text', id: 'gp-author', placeholder: W.author_hint,
                               oninput: function () {
                                 try { localStorage.setItem(AUTHOR_KEY, authorBox.value); }
                                 catch (e) { /* storage may be off for file: pages */ }
                               }});
  try { authorBox.value = localStorage.getItem(AUTHOR_KEY) || ''; } catch (e) { /* as above */ }
  var message = el('div', {id: 'gp-message', role: 'status'});
  var selection = el('section', {id: 'gp-selection'});
  var session = el('section', {id: 'gp-session'});
  var importBox = el('input', {type: 'file', id: 'gp-import', accept: '.geojson,.json,application/geo+json,application/json',
                               onchange: function () {
                                 var f = importBox.files && importBox.files[0];
                                 if (!f) { return; }
                                 var reader = new FileReader();
                                 reader.onload = function () {
                                   try { importEdits(JSON.parse(reader.result)); }
                                   catch (e) { say(t('import_failed', {file: f.name, why: e.message}), false); }
                                   importBox.value = '';
                                 };
                                 reader.readAsText(f);
                               }});
  [el('h1', {text: W.title}),
   el('p', {id: 'gp-plan', text: t('plan', {grids: NG, households: M.households})}),
   el('p', {'class': 'gp-help', text: t('help')}),
   el('label', {}, [W.author, authorBox]),
   message, selection, session].forEach(function (e) { side.appendChild(e); });

  function say(text, ok) {
    message.textContent = text;
    message.className = ok ? 'gp-ok' : 'gp-refused';
  }

  function commentBlock(target) {
    var mine = comments.filter(function (c) { return sameTarget(c, target); });
    var box = el('textarea', {id: 'gp-comment-text', placeholder: W.comment_placeholder});
    return el('div', {'class': 'gp-comments'}, [
      el('h3', {text: W.comments}),
      el('ul', {id: 'gp-comment-list'}, mine.map(function (c) {
        return el('li', {'class': 'gp-comment'}, [c.text, el('span', {'class': 'gp-small',
          text: [c.author, c.time].filter(Boolean).join(', ')})]);
      })),
      box,
      el('button', {id: 'gp-comment-add', text: W.add_comment,
                    onclick: function () { addComment(target, box.value); }})]);
  }

  function gridPanel(g) {
    var s = S[g];
    var table = el('table', {}, [
      row(W.community, GR.community[g]),
      row(W.households + ' (' + M.lo + '–' + M.hi + ')', String(s.households),
          {id: 'gp-grid-households', 'class': inRange(s.households) ? null : 'gp-out'}),
      row(W.homes, String(s.homes), {id: 'gp-grid-homes'}),
      row(W.compactness, s.polsby_popper === null ? '—' : s.polsby_popper.toFixed(3),
          {id: 'gp-grid-pp'}),
      row(t('within_radius'), pct(s.share_radius), {id: 'gp-grid-radius'}),
      M.walk ? row(t('within_walk'), pct(s.share_walk), {id: 'gp-grid-walk'}) : null]);
    var units = unitsOf(g).sort(function (a, b) { return U.home_index[a] - U.home_index[b] || U.part[a] - U.part[b]; });
    return [
      el('h2', {id: 'gp-selected-title', 'data-grid': GR.id[g], text: t('grid', {grid: GR.id[g]})}),
      table,
      el('h3', {text: W.neighbours}),
      el('div', {id: 'gp-neighbours'}, gridNeighbours(g).map(function (n) { return gridChip(n); })),
      el('h3', {text: W.members}),
      el('div', {id: 'gp-members'}, units.map(function (i) {
        return el('button', {'class': 'gp-chip gp-unit-chip', 'data-unit': String(i),
                             text: homeName(i) + ' · ' + U.households[i],
                             onclick: function () { selectUnit(i); }});
      })),
      commentBlock({target: 'grid', grid_id: GR.id[g]})];
  }

  function unitPanel(i) {
    var g = rowGrid[i], grp = members(i), hh = groupHouseholds(i);
    var table = el('table', {}, [
      el('tr', {}, [el('th', {text: W.in_grid}), el('td', {id: 'gp-unit-grid'}, [gridChip(g)])]),
      row(W.households, String(U.households[i]), {id: 'gp-unit-households'}),
      U.name[i] ? row(W.name, U.name[i]) : null,
      U.compound[i] ? row(W.compound, grp.length > 1
        ? t('compound_whole', {compound: U.compound[i], n: grp.length, households: hh})
        : U.compound[i]) : null,
      row(t('covered'), U.radius[i] ? W.yes : W.no)]);
    var options = targets(i).map(function (d) {
      var after = S[d].households + hh;
      return el('button', {'class': 'gp-chip gp-move-to' + (inRange(after) ? '' : ' gp-out'),
                           'data-grid': GR.id[d],
                           text: GR.id[d] + ' (' + S[d].households + ' → ' + after + ')',
                           onclick: function () { moveUnit(i, d); }});
    });
    return [
      el('h2', {id: 'gp-selected-title', 'data-unit': String(i),
                text: U.part[i] ? t('home_part_title', {home: U.home_index[i], part: U.part[i]})
                                : t('home_title', {home: U.home_index[i]})}),
      table,
      el('p', {text: W.move_to}),
      el('div', {id: 'gp-targets'}, options.length ? options : [el('span', {text: W.no_targets})]),
      commentBlock({target: 'home', home_index: U.home_index[i], part: U.part[i]})];
  }

  function sessionPanel() {
    var worse = [];
    for (var g = 0; g < NG; g++) {
      if (distance(S[g].households) > distance(S0[g].households)) { worse.push(g); }
    }
    worse.sort(byId);
    return [
      el('h2', {text: W.session}),
      el('p', {id: 'gp-session-counts', text: t('session_counts', {moves: moves.length,
                                                                   comments: comments.length})}),
      el('div', {}, [
        el('button', {id: 'gp-undo', text: W.undo, disabled: moves.length ? null : 'disabled',
                      onclick: undo}),
        el('button', {id: 'gp-export', text: W.export, onclick: exportEdits})]),
      el('label', {}, [W.import, importBox]),
      worse.length ? el('div', {id: 'gp-out-of-range'}, [
        el('p', {'class': 'gp-out', text: t('out_of_range')}),
        el('div', {}, worse.map(function (g) {
          return gridChip(g, GR.id[g] + ' · ' + S[g].households);
        }))]) : null,
      el('ol', {id: 'gp-moves', reversed: 'reversed'}, moves.slice().reverse().slice(0, 100)
        .map(function (m) {
          return el('li', {'class': 'gp-small', text: what(m.unit) + ': ' + GR.id[m.from]
                                                       + ' → ' + GR.id[m.to]});
        }))];
  }

  function refresh() {
    drawMap();
    selection.innerHTML = '';
    (sel.unit !== null ? unitPanel(sel.unit)
      : sel.grid !== null ? gridPanel(sel.grid)
      : [el('p', {'class': 'gp-small', text: W.nothing_selected})])
      .forEach(function (e) { if (e) { selection.appendChild(e); } });
    session.innerHTML = '';
    sessionPanel().forEach(function (e) { if (e) { session.appendChild(e); } });
  }
  refresh();

  // for tests and for a look from the browser's console
  window.gridplanEdit = {
    map: map, data: D, layers: datumLayers, datum: datum, placeLabels: placeLabels,
    stats: function () { return S.map(function (s, g) { return Object.assign({grid_id: GR.id[g]}, s); }); },
    gridOf: function (home, part) {
      var i = unitByKey[home + ':' + (part || 0)];
      return i === undefined ? null : GR.id[rowGrid[i]];
    },
    selectGrid: function (id) { selectGrid(gridByKey[id]); },
    selectHome: function (home, part) { selectUnit(unitByKey[home + ':' + (part || 0)]); },
    move: function (home, part, id) {
      return moveUnit(unitByKey[home + ':' + (part || 0)], gridByKey[id]);
    },
    undo: undo,
    collection: collection,
    exportEdits: exportEdits,
    importEdits: importEdits,
    session: function () { return {moves: moves.length, comments: comments.length}; }
  };
})();
