/* gridplan review page, edits.geojson: the session as a GeoJSON FeatureCollection that
 * gridplan.outputs.review.read_edits reads, and a collection replayed into the session under
 * the same checks as gridplan.outputs.review.rules.check_moves, in the same order. Only
 * download and read touch the browser. */
var gridplanReviewPage = gridplanReviewPage || {};

gridplanReviewPage.files = (function () {
  'use strict';

  function point(lon, lat) { return {type: 'Point', coordinates: [lon, lat]}; }

  /** The session's moves and comments as edits.geojson, ``exported`` at the ISO time. */
  function collection(R, s, exported) {
    var U = R.units, GR = R.grids, M = R.meta;
    var features = s.moves.map(function (m) {
      var i = m.unit;
      return {type: 'Feature', geometry: point(U.lon[i], U.lat[i]), properties: {
        type: 'move', home_index: U.home_index[i], part: U.part[i],
        from_grid: GR.id[m.from], to_grid: GR.id[m.to],
        households: m.group.reduce(function (n, j) { return n + U.households[j]; }, 0),
        compound: m.group.length > 1 ? U.compound[i] : null,
        author: m.author, time: m.time}};
    });
    s.comments.forEach(function (c) {
      var geom = null, props = {type: 'comment', target: c.target};
      if (c.target === 'grid') {
        var g = R.gridByKey[c.grid_id];
        if (g !== undefined) { geom = point(GR.label[g][0], GR.label[g][1]); }
        props.grid_id = c.grid_id;
      } else {
        var i = R.unitByKey[c.home_index + ':' + c.part];
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
            gridplan: {plan: M.key, source: M.source, bounds: [M.lo, M.hi], exported: exported},
            features: features};
  }

  /** Why the move of properties ``p`` is refused before the rules are asked: the checks of
   * check_moves, in its order ({rule, reason}), or null. ``movedBy``: the edit that last
   * moved each unit in this replay. */
  function known(R, s, p, movedBy) {
    var t = R.t, GR = R.grids;
    var i = R.unitByKey[p.home_index + ':' + p.part];
    if (i === undefined) {
      return {rule: 'unknown_home', reason: t('unknown_home', {
        what: p.part ? t('home_part', {home: p.home_index, part: p.part})
                     : t('home', {home: p.home_index})})};
    }
    if (R.gridByKey[p.to_grid] === undefined) {
      return {rule: 'unknown_grid', reason: t('unknown_grid', {grid: p.to_grid})};
    }
    if (R.gridByKey[p.from_grid] === undefined) {
      return {rule: 'unknown_grid', reason: t('unknown_grid', {grid: p.from_grid})};
    }
    if (p.from_grid === p.to_grid) {
      return {rule: 'same_grid', reason: t('same_grid', {what: R.what(i), grid: p.to_grid})};
    }
    if (GR.id[s.rowGrid[i]] !== p.from_grid) {
      return {rule: 'from_mismatch', reason: t('from_mismatch', {
        what: R.homeName(i), now: GR.id[s.rowGrid[i]], grid: p.from_grid,
        why: movedBy[i] !== undefined ? t('moved_by_edit', {edit: movedBy[i]})
                                      : t('other_plan')})};
    }
    return null;
  }

  /** Replace the session with the edits of a FeatureCollection, replaying each move under
   * the page's rules: {moves, comments, refused: [{edit, rule, reason}], message, ok}. */
  function replay(R, s, fc) {
    if (!fc || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features)) {
      throw new Error('expected a GeoJSON FeatureCollection of edits');
    }
    s.reset();
    var out = {moves: 0, refused: [], comments: 0}, movedBy = {};
    fc.features.forEach(function (f, k) {
      var p = (f && f.properties) || {}, who = {author: p.author, time: p.time};
      if (p.type === 'move') {
        var why = known(R, s, p, movedBy);
        if (!why) {
          var i = R.unitByKey[p.home_index + ':' + p.part];
          var r = s.move(i, R.gridByKey[p.to_grid], who);
          why = r.ok ? null : r;
          if (r.ok) { R.members(i).forEach(function (j) { movedBy[j] = k + 1; }); }
        }
        if (why) {
          out.refused.push({edit: k + 1, rule: why.rule, reason: why.reason});
        } else {
          out.moves += 1;
        }
      } else if (p.type === 'comment') {
        var target = p.target === 'grid' ? {target: 'grid', grid_id: p.grid_id}
                                         : {target: 'home', home_index: p.home_index, part: p.part};
        if (s.addComment(target, p.text, who)) { out.comments += 1; }
      }
    });
    out.ok = !out.refused.length;
    out.message = R.t('imported', {moves: out.moves, refused: out.refused.length,
                                   comments: out.comments})
      + out.refused.map(function (r) { return ' #' + r.edit + ': ' + r.reason + '.'; }).join('');
    return out;
  }

  /** Save ``fc`` as edits.geojson through the browser's download. */
  function download(fc) {
    var blob = new Blob([JSON.stringify(fc, null, 1)], {type: 'application/geo+json'});
    var url = URL.createObjectURL(blob);
    var a = document.createElement('a');
    a.href = url;
    a.download = 'edits.geojson';
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  /** Read a chosen File as text and hand it to ``done``. */
  function read(file, done) {
    var reader = new FileReader();
    reader.onload = function () { done(reader.result); };
    reader.readAsText(file);
  }

  return {collection: collection, replay: replay, download: download, read: read};
})();
