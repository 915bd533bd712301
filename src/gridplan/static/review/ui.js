/* gridplan review page: select a grid, move homes (or building parts) between neighbouring
 * grids with live counts, comment on grids and homes, and export or import the session as
 * edits.geojson. Plain JavaScript on the vendored Leaflet; the data sits in the page as JSON
 * (#gp-data) and nothing is fetched. This file builds the side panel and ties together
 * rules.js (what may move), state.js (the session), files.js (edits.geojson) and map.js.
 *
 * Counts outside the range turn red; gridplan refuses a move that leaves a grid outside the
 * range at the end of the session. */
(function (GPR) {
  'use strict';

  var R = GPR.rules(JSON.parse(document.getElementById('gp-data').textContent));
  var s = GPR.session(R);
  var W = R.words, M = R.meta, U = R.units, GR = R.grids, NG = R.NG, t = R.t;
  var AUTHOR_KEY = 'gridplan.review.author';
  var sel = {grid: null, unit: null};

  function now() { return new Date().toISOString(); }
  function author() { return (authorBox && authorBox.value || '').trim(); }
  function mine() { return {author: author(), time: now()}; }

  function moveUnit(i, dst) {
    var r = s.move(i, dst, mine());
    if (r.ok) { say(r.message, true); refresh(); } else { say(t('refused', {why: r.reason}), false); }
    return r;
  }
  function undo() {
    var text = s.undo();
    if (text === null) { return; }
    say(text, true);
    refresh();
  }
  function addComment(target, text) {
    if (!s.addComment(target, text, mine())) { say(W.empty_comment, false); return false; }
    say(t('commented', {target: s.targetName(target)}), true);
    refresh();
    return true;
  }
  function collection() { return GPR.files.collection(R, s, now()); }
  function exportEdits() {
    var fc = collection();
    GPR.files.download(fc);
    say(t('exported', {moves: s.moves.length, comments: s.comments.length}), true);
    return fc;
  }
  /** Replace the session with the edits of a FeatureCollection. */
  function importEdits(fc) {
    var out = GPR.files.replay(R, s, fc);
    sel = {grid: null, unit: null};
    say(out.message, out.ok);
    refresh();
    return {moves: out.moves, refused: out.refused, comments: out.comments};
  }

  var view = GPR.map(R, s, {
    selection: function () { return sel; },
    onGridClick: onGridClick,
    onHomeClick: function (i) { selectUnit(i); }
  });

  function onGridClick(g) {
    if (sel.unit !== null && g !== s.rowGrid[sel.unit]) {
      moveUnit(sel.unit, g);
      return;
    }
    selectGrid(g);
  }
  function selectGrid(g) { sel = {grid: g, unit: null}; refresh(); }
  function selectUnit(i) { sel = {grid: null, unit: i}; refresh(); }

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
                                 GPR.files.read(f, function (text) {
                                   try { importEdits(JSON.parse(text)); }
                                   catch (e) { say(t('import_failed', {file: f.name, why: e.message}), false); }
                                   importBox.value = '';
                                 });
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
    var here = s.comments.filter(function (c) { return s.sameTarget(c, target); });
    var box = el('textarea', {id: 'gp-comment-text', placeholder: W.comment_placeholder});
    return el('div', {'class': 'gp-comments'}, [
      el('h3', {text: W.comments}),
      el('ul', {id: 'gp-comment-list'}, here.map(function (c) {
        return el('li', {'class': 'gp-comment'}, [c.text, el('span', {'class': 'gp-small',
          text: [c.author, c.time].filter(Boolean).join(', ')})]);
      })),
      box,
      el('button', {id: 'gp-comment-add', text: W.add_comment,
                    onclick: function () { addComment(target, box.value); }})]);
  }

  function gridPanel(g) {
    var x = s.S[g];
    var table = el('table', {}, [
      row(W.community, GR.community[g]),
      row(W.households + ' (' + M.lo + '–' + M.hi + ')', String(x.households),
          {id: 'gp-grid-households', 'class': R.inRange(x.households) ? null : 'gp-out'}),
      row(W.homes, String(x.homes), {id: 'gp-grid-homes'}),
      row(W.compactness, x.polsby_popper === null ? '—' : x.polsby_popper.toFixed(3),
          {id: 'gp-grid-pp'}),
      row(t('within_radius'), pct(x.share_radius), {id: 'gp-grid-radius'}),
      M.walk ? row(t('within_walk'), pct(x.share_walk), {id: 'gp-grid-walk'}) : null]);
    var units = R.unitsOf(s.rowGrid, g).sort(function (a, b) {
      return U.home_index[a] - U.home_index[b] || U.part[a] - U.part[b];
    });
    return [
      el('h2', {id: 'gp-selected-title', 'data-grid': GR.id[g], text: t('grid', {grid: GR.id[g]})}),
      table,
      el('h3', {text: W.neighbours}),
      el('div', {id: 'gp-neighbours'}, R.gridNeighbours(s.rowGrid, g).map(function (n) {
        return gridChip(n);
      })),
      el('h3', {text: W.members}),
      el('div', {id: 'gp-members'}, units.map(function (i) {
        return el('button', {'class': 'gp-chip gp-unit-chip', 'data-unit': String(i),
                             text: R.homeName(i) + ' · ' + U.households[i],
                             onclick: function () { selectUnit(i); }});
      })),
      commentBlock({target: 'grid', grid_id: GR.id[g]})];
  }

  function unitPanel(i) {
    var g = s.rowGrid[i], grp = R.members(i), hh = R.groupHouseholds(i);
    var table = el('table', {}, [
      el('tr', {}, [el('th', {text: W.in_grid}), el('td', {id: 'gp-unit-grid'}, [gridChip(g)])]),
      row(W.households, String(U.households[i]), {id: 'gp-unit-households'}),
      U.name[i] ? row(W.name, U.name[i]) : null,
      U.compound[i] ? row(W.compound, grp.length > 1
        ? t('compound_whole', {compound: U.compound[i], n: grp.length, households: hh})
        : U.compound[i]) : null,
      row(t('covered'), U.radius[i] ? W.yes : W.no)]);
    var options = R.targets(s.rowGrid, i).map(function (d) {
      var after = s.S[d].households + hh;
      return el('button', {'class': 'gp-chip gp-move-to' + (R.inRange(after) ? '' : ' gp-out'),
                           'data-grid': GR.id[d],
                           text: GR.id[d] + ' (' + s.S[d].households + ' → ' + after + ')',
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
    var worse = s.worse();
    return [
      el('h2', {text: W.session}),
      el('p', {id: 'gp-session-counts', text: t('session_counts', {moves: s.moves.length,
                                                                   comments: s.comments.length})}),
      el('div', {}, [
        el('button', {id: 'gp-undo', text: W.undo, disabled: s.moves.length ? null : 'disabled',
                      onclick: undo}),
        el('button', {id: 'gp-export', text: W.export, onclick: exportEdits})]),
      el('label', {}, [W.import, importBox]),
      worse.length ? el('div', {id: 'gp-out-of-range'}, [
        el('p', {'class': 'gp-out', text: t('out_of_range')}),
        el('div', {}, worse.map(function (g) {
          return gridChip(g, GR.id[g] + ' · ' + s.S[g].households);
        }))]) : null,
      el('ol', {id: 'gp-moves', reversed: 'reversed'}, s.moves.slice().reverse().slice(0, 100)
        .map(function (m) {
          return el('li', {'class': 'gp-small', text: R.what(m.unit) + ': ' + GR.id[m.from]
                                                       + ' → ' + GR.id[m.to]});
        }))];
  }

  function refresh() {
    view.draw();
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
    map: view.map, data: R.data, layers: view.layers, datum: view.datum,
    placeLabels: view.placeLabels,
    stats: function () {
      return s.S.map(function (x, g) { return Object.assign({grid_id: GR.id[g]}, x); });
    },
    gridOf: function (home, part) {
      var i = R.unitByKey[home + ':' + (part || 0)];
      return i === undefined ? null : GR.id[s.rowGrid[i]];
    },
    selectGrid: function (id) { selectGrid(R.gridByKey[id]); },
    selectHome: function (home, part) { selectUnit(R.unitByKey[home + ':' + (part || 0)]); },
    move: function (home, part, id) {
      return moveUnit(R.unitByKey[home + ':' + (part || 0)], R.gridByKey[id]);
    },
    undo: undo,
    collection: collection,
    exportEdits: exportEdits,
    importEdits: importEdits,
    session: function () { return {moves: s.moves.length, comments: s.comments.length}; }
  };
})(gridplanReviewPage);
