/* gridplan review page, the rules: what touches what, what moves together, each grid's figures
 * and why a move is refused. The rules are gridplan's (gridplan.outputs.review.rules): a home
 * moves only to a grid it touches, a compound that fits in one grid moves whole, and the grid
 * it leaves must keep a home and stay in as many pieces as it was. No DOM and no Leaflet, so
 * tests/test_review_rules_js.py runs this file in a bare JavaScript engine against the Python
 * rules on the same moves. */
var gridplanReviewPage = gridplanReviewPage || {};

/** The rules over the page's data ``D`` (#gp-data); a grid assignment (one grid per unit)
 * is passed in, never kept here. */
gridplanReviewPage.rules = function (D) {
  'use strict';
  var W = D.words, M = D.meta, U = D.units, GR = D.grids;
  var N = U.households.length, NG = GR.id.length;

  function fmt(s, o) {
    return String(s).replace(/\{(\w+)\}/g, function (m, k) {
      return Object.prototype.hasOwnProperty.call(o, k) ? o[k] : m;
    });
  }
  var BASE = {lo: M.lo, hi: M.hi, radius: M.radius_m, minutes: M.walk_minutes};
  function t(key, o) { return fmt(W[key], Object.assign({}, BASE, o || {})); }

  // --- the graph: who touches whom, who moves together ---------------------------------
  var nbrs = [], i;
  for (i = 0; i < N; i++) { nbrs.push([]); }
  D.pairs.a.forEach(function (a, k) {
    var b = D.pairs.b[k];
    nbrs[a].push(b);
    nbrs[b].push(a);
  });
  var groups = {};
  U.group.forEach(function (g, i) { (groups[g] = groups[g] || []).push(i); });
  function members(i) { return groups[U.group[i]]; }
  var unitByKey = {}, gridByKey = {};
  for (i = 0; i < N; i++) { unitByKey[U.home_index[i] + ':' + U.part[i]] = i; }
  GR.id.forEach(function (id, g) { gridByKey[id] = g; });

  // --- figures ---------------------------------------------------------------------------
  // A grid's perimeter is its cells' perimeters less twice the edges they share inside it,
  // so compactness follows each move without drawing the new shape.
  function stats(rowGrid) {
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
  function distance(h) { return Math.max(M.lo - h, h - M.hi, 0); }
  function inRange(h) { return h >= M.lo && h <= M.hi; }
  function byId(a, b) { return GR.id[a] < GR.id[b] ? -1 : GR.id[a] > GR.id[b] ? 1 : 0; }
  /** The grids outside the range and farther from it than at the start (``S0``): gridplan
   * refuses the last move that took each there when the session is applied. */
  function worse(S, S0) {
    var out = [];
    for (var g = 0; g < NG; g++) {
      if (distance(S[g].households) > distance(S0[g].households)) { out.push(g); }
    }
    return out.sort(byId);
  }

  function unitsOf(rowGrid, g) {
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
  function gridNeighbours(rowGrid, g) {
    var out = {};
    for (var i = 0; i < N; i++) {
      if (rowGrid[i] !== g) { continue; }
      nbrs[i].forEach(function (j) { if (rowGrid[j] !== g) { out[rowGrid[j]] = true; } });
    }
    return Object.keys(out).map(Number).sort(byId);
  }
  /** The grids unit i (with its compound) may be offered: those it touches. */
  function targets(rowGrid, i) {
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

  // --- the rules -------------------------------------------------------------------------
  function refusal(rule, o) { return {rule: rule, reason: t(rule, o)}; }
  /** Why unit i may not move to grid dst under ``rowGrid`` ({rule: a key of the words,
   * reason: its text}), or null when it may. */
  function check(rowGrid, i, dst) {
    var src = rowGrid[i], grp = members(i), gid = GR.id[dst];
    if (dst === src) { return refusal('same_grid', {what: what(i), grid: gid}); }
    var touches = grp.some(function (j) {
      return nbrs[j].some(function (k) { return rowGrid[k] === dst; });
    });
    if (!touches) { return refusal('not_touch', {what: what(i), grid: gid}); }
    var inGroup = {};
    grp.forEach(function (j) { inGroup[j] = true; });
    var all = unitsOf(rowGrid, src);
    var left = all.filter(function (j) { return !inGroup[j]; });
    if (!left.length) { return refusal('empties', {what: what(i), grid: GR.id[src]}); }
    var before = pieces(all), after = pieces(left);
    if (after > before) {
      return before === 1 ? refusal('splits', {what: what(i), grid: GR.id[src], n: after})
                          : refusal('splits_more', {what: what(i), grid: GR.id[src], n: after,
                                                    m: before});
    }
    return null;
  }

  return {
    data: D, words: W, meta: M, units: U, grids: GR, N: N, NG: NG, t: t,
    nbrs: nbrs, members: members, unitByKey: unitByKey, gridByKey: gridByKey,
    stats: stats, distance: distance, inRange: inRange, byId: byId, worse: worse,
    unitsOf: unitsOf, gridNeighbours: gridNeighbours, targets: targets,
    groupHouseholds: groupHouseholds, homeName: homeName, what: what, check: check
  };
};
