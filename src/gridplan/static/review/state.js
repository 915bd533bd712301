/* gridplan review page, the session: the grid of every unit now and at the start, the moves
 * and comments made, and each grid's figures. No DOM: the page shows it (ui.js), the tests
 * run it in a bare JavaScript engine. */
var gridplanReviewPage = gridplanReviewPage || {};

/** A review session over the rules ``R`` (gridplanReviewPage.rules). ``who`` in move and
 * addComment is {author, time}. */
gridplanReviewPage.session = function (R) {
  'use strict';
  var U = R.units, GR = R.grids, t = R.t;
  var s = {
    start: Int32Array.from(U.grid),
    rowGrid: Int32Array.from(U.grid),        // changed in place: map.js and ui.js hold it
    moves: [],
    comments: []
  };
  s.S = R.stats(s.rowGrid);
  s.S0 = s.S;

  /** Move unit i (and its compound) to grid dst where the rules allow: {ok: true, message}
   * or {ok: false, rule, reason}. */
  s.move = function (i, dst, who) {
    var why = R.check(s.rowGrid, i, dst);
    if (why) { return {ok: false, rule: why.rule, reason: why.reason}; }
    var src = s.rowGrid[i], a = s.S[src].households, c = s.S[dst].households;
    R.members(i).forEach(function (j) { s.rowGrid[j] = dst; });
    s.moves.push({unit: i, from: src, to: dst, group: R.members(i).slice(),
                  author: who.author || '', time: who.time || ''});
    s.S = R.stats(s.rowGrid);
    return {ok: true, message: t('moved', {what: R.what(i), src: GR.id[src], a: a,
                                           b: s.S[src].households, dst: GR.id[dst], c: c,
                                           d: s.S[dst].households})};
  };

  /** Take back the last move; its message, or null when there was none. */
  s.undo = function () {
    var m = s.moves.pop();
    if (!m) { return null; }
    m.group.forEach(function (j) { s.rowGrid[j] = m.from; });
    s.S = R.stats(s.rowGrid);
    return t('undone', {what: R.what(m.unit), src: GR.id[m.from], dst: GR.id[m.to]});
  };

  s.sameTarget = function (c, target) {
    return c.target === target.target && (target.target === 'grid'
      ? c.grid_id === target.grid_id
      : c.home_index === target.home_index && c.part === target.part);
  };
  s.targetName = function (target) {
    if (target.target === 'grid') { return t('grid', {grid: target.grid_id}); }
    var i = R.unitByKey[target.home_index + ':' + target.part];
    return i === undefined ? t('home', {home: target.home_index}) : R.homeName(i);
  };
  /** Comment on a grid ({target: 'grid', grid_id}) or a home ({target: 'home', home_index,
   * part}); false for an empty text. */
  s.addComment = function (target, text, who) {
    text = (text || '').trim();
    if (!text) { return false; }
    s.comments.push(Object.assign({}, target, {text: text, author: who.author || '',
                                               time: who.time || ''}));
    return true;
  };

  /** Back to the plan as the page was made, with no moves or comments. */
  s.reset = function () {
    s.rowGrid.set(s.start);
    s.moves = [];
    s.comments = [];
    s.S = R.stats(s.rowGrid);
  };

  s.worse = function () { return R.worse(s.S, s.S0); };
  return s;
};
