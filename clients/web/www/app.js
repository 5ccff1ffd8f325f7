// ambi live page: one tile per athlete, a focus view per athlete, fed by Server-Sent Events
// from ambi-web (/events). Every event carries an SSE id (the daemon's sequence with one box,
// ambi-web's own numbering with several); the page keeps the last one and resumes from it after
// any drop, so no rep is shown twice or missed. With several boxes each event names its box,
// and an athlete is a name at a box: the same name at two boxes makes two tiles.
'use strict';

// A sensor whose last sample is older than this is shown as not live (a 100-200 Hz stream
// has no business being silent for 3 s).
const STALE_SAMPLE_S = 3;
// After a stream error the browser retries by itself; if it gave up, the page retries after this.
const RECONNECT_MS = 2000;

const SVG_NS = 'http://www.w3.org/2000/svg';
// The rep chart's width in SVG units (until a tile's or the focus view's width is known) and a
// tile row's height (a left and a right bar).
const CHART_W = 600;
const TILE_ROW_H = 42;
// A tile's chart is drawn at this many CSS pixels per SVG unit, whatever the tile's width, so
// that its labels read alike on two tiles and on six (tileChartWidth).
const TILE_PX_PER_UNIT = 0.9;
const FOCUS_ROW_H = 62;  // the focus chart's row, in SVG units (one per CSS pixel)
const FOCUS_MIN_ROWS = 3; // a portrait focus chart fitted to the screen keeps its newest three
// ... and its table, fitted after it, at least its header and this many rows.
const FOCUS_TABLE_MIN_ROWS = 2;
const state = {
  lastSeq: 0,
  received: new Set(), // sequences applied (duplicates are counted, never applied twice)
  duplicates: 0,
  athletes: new Map(),
  devices: [],
  devicesAt: 0, // performance.now() of the last device list
  live: false,
  upstream: { connected: false, detail: '' },
  focus: null,
  exercises: [],
  exercisesBox: '', // the box whose catalog 'exercises' is
  streams: 0, // event streams opened by the page (reconnects + 1)
  streamErrors: 0,
  focusChartW: 0, // the focus view's chart column in CSS pixels, once measured
  tileChartPx: 0, // a tile's chart width in CSS pixels, once laid out (tileChartWidth)
  focusTableBack: null, // where the coach scrolled the focus table back to; null: at its end
};
window.ambiPage = state; // for tests and for a curious coach with a laptop

// ---- small helpers ----

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

const enumShort = (value, prefix) =>
  (typeof value === 'string' && value.startsWith(prefix) ? value.slice(prefix.length) : String(value || ''))
    .toLowerCase();
const sideName = (side) => enumShort(side, 'SIDE_'); // left | right | unspecified
const bandName = (band) => {
  const b = enumShort(band, 'BAND_');
  return b === 'green' || b === 'amber' || b === 'red' ? b : 'n/a';
};
const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);

// The key of an athlete at a box ("" with one box: the name alone).
const athleteKey = (name, box) => (box ? `${name}\u0000${box}` : name);

function athlete(name, box = '') {
  const key = athleteKey(name, box);
  let a = state.athletes.get(key);
  if (!a) {
    a = {
      key,
      name,
      box,
      set: null, // {index, exercise, mode, limb, side, running}
      reps: new Map(), // key side/index -> rep view
      pairs: [], // rows in order: {left, right, lead_ms, metrics, pair_index}
      fatigue: new Map(), // side/index -> speed_loss_pct
      badge: null, // {band, weaker, significant, pct, final}
      cues: [],
      summary: null,
      sensors: new Map(), // "side limb" -> {kind, detail}
      problems: new Map(), // "side limb" -> what is wrong with its values (stays until a reset)
      sessionId: '', // the daemon's session of the latest event, for the report link
    };
    state.athletes.set(key, a);
  }
  return a;
}

// False when ambi-web says this athlete's box is not reachable (several boxes).
function boxUp(a) {
  const boxes = state.upstream.boxes || [];
  const mine = boxes.find((b) => b.box === a.box);
  return !mine || mine.connected;
}

// ---- applying events ----

function resetAll() {
  state.athletes.forEach((a) => {
    a.set = null;
    a.reps.clear();
    a.pairs = [];
    a.fatigue.clear();
    a.badge = null;
    a.cues = [];
    a.summary = null;
    a.sensors.clear();
    a.problems.clear();
  });
  state.received.clear();
  state.lastSeq = 0;
}

function repKey(rep) {
  return `${sideName(rep.side)}/${rep.index}`;
}

function addRep(a, rep, flags) {
  if (a.set && rep.set_index !== a.set.index) return;
  const key = repKey(rep);
  const existing = a.reps.get(key);
  const view = existing || { rep, side: sideName(rep.side), row: null, unpaired: false };
  view.rep = rep;
  if (flags && flags.unpaired) view.unpaired = true;
  if (!existing) {
    a.reps.set(key, view);
    const side = view.side === 'right' ? 'right' : 'left';
    // In a unilateral set the sides work in turn and are never paired: rep k of one side goes
    // into the row of rep k of the other, so each number is one row comparing the two.
    const other = a.set && a.set.mode === 'unilateral'
      ? a.reps.get(`${side === 'left' ? 'right' : 'left'}/${rep.index}`) : null;
    if (other && other.row && !other.row[side]) {
      other.row[side] = view;
      view.row = other.row;
      return;
    }
    // A rep without a pair yet gets its own row; a pair later takes it into the pair's row.
    const row = { left: null, right: null, lead_ms: null, metrics: [], single: true };
    row[side] = view;
    view.row = row;
    a.pairs.push(row);
  }
}

function applyPair(a, pair) {
  if (a.set && pair.set_index !== a.set.index) return;
  addRep(a, pair.left);
  addRep(a, pair.right);
  const left = a.reps.get(repKey(pair.left));
  const right = a.reps.get(repKey(pair.right));
  // The two single rows become one paired row, where the earlier of them was.
  const rows = [left.row, right.row];
  const at = Math.min(...rows.map((r) => a.pairs.indexOf(r)).filter((i) => i >= 0));
  a.pairs = a.pairs.filter((r) => !rows.includes(r));
  const row = { left, right, lead_ms: pair.lead_ms, metrics: pair.metrics || [], single: false };
  left.row = row;
  right.row = row;
  a.pairs.splice(Number.isFinite(at) ? at : a.pairs.length, 0, row);
  const rom = (pair.metrics || []).find((m) => m.metric === 'METRIC_ROM');
  if (rom && !(a.badge && a.badge.final)) {
    a.badge = {
      band: bandName(rom.band),
      weaker: sideName(rom.weaker_side),
      significant: !!rom.significant,
      pct: rom.percent_difference,
      final: false,
    };
  }
}

function applyEvent(live, eventId) {
  // The SSE id orders and names events across boxes; the daemon's sequence is per box.
  const seq = Number.isFinite(eventId) && eventId > 0 ? eventId : Number(live.sequence);
  if (state.received.has(seq)) {
    state.duplicates += 1;
    return;
  }
  state.received.add(seq);
  state.lastSeq = Math.max(state.lastSeq, seq);
  const ev = live.event || {};
  const a = athlete(ev.athlete || '?', live.box || '');
  if (live.session_id) a.sessionId = live.session_id;
  if (ev.set_started) {
    const s = ev.set_started;
    a.set = {
      index: s.set_index, exercise: s.exercise, mode: enumShort(s.mode, 'SET_MODE_'),
      limb: enumShort(s.limb, 'LIMB_'), side: sideName(s.side), running: true,
    };
    a.reps.clear();
    a.pairs = [];
    a.fatigue.clear();
    a.badge = null;
    a.cues = [];
    a.summary = null;
  } else if (ev.rep) {
    addRep(a, ev.rep);
  } else if (ev.rep_pair) {
    applyPair(a, ev.rep_pair);
  } else if (ev.unpaired_rep) {
    addRep(a, ev.unpaired_rep.rep, { unpaired: true });
  } else if (ev.fatigue) {
    const f = ev.fatigue;
    a.fatigue.set(`${sideName(f.side)}/${f.rep_index}`, f.speed_loss_pct);
  } else if (ev.cue) {
    a.cues = a.cues.filter((c) => c.kind !== ev.cue.kind);
    a.cues.push(ev.cue);
  } else if (ev.set_summary) {
    const s = ev.set_summary;
    a.summary = s;
    if (a.set && a.set.index === s.set_index) a.set.running = false;
    if (!a.set) a.set = { index: s.set_index, exercise: s.exercise, mode: enumShort(s.mode, 'SET_MODE_'), running: false };
    a.badge = {
      band: bandName(s.band), weaker: sideName(s.weaker_side), significant: !!s.significant,
      pct: ((s.metrics || []).find((m) => m.metric === 'METRIC_ROM') || {}).percent_difference,
      final: true,
    };
  } else if (ev.sensor_status) {
    const st = ev.sensor_status;
    const key = `${sideName(st.side)} ${enumShort(st.limb, 'LIMB_')}`;
    a.sensors.set(key, { kind: enumShort(st.kind, 'KIND_'), detail: st.detail });
    // Wrong values (a gyro offset too large to learn, a unit mistake) do not go away by
    // themselves: the sensor is to be checked, whatever status follows.
    if (st.values_wrong) a.problems.set(key, st.detail);
  }
  scheduleRender();
  updateWakeLock();
}

// ---- drawing ----

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

const CUE_TEXT = {
  STOP_SET: (c) => `Stop the set${c.side && sideName(c.side) !== 'unspecified' ? ` — ${sideName(c.side)} side slowing` : ''}`,
  START_WITH_WEAKER_SIDE: (c) => `Start with the weaker side (${sideName(c.side)}, ${c.target_reps} reps)`,
  MATCH_WEAKER_SIDE_REPS: (c) => `Match the weaker side's reps (${c.target_reps})`,
  ASYMMETRY_NORMAL: () => 'Asymmetry normal',
};

// 'brief' (tiles): a calm cue keeps its headline only; its explanation is in the focus view.
// 'held': the names of the limb's sensors that read wrong (suspectSensors); the cue is drawn
// from their values, so it is shown struck through and quiet, under a line saying why.
function cueBanner(cue, brief, held = []) {
  const kind = enumShort(cue.kind, 'KIND_').toUpperCase();
  const text = CUE_TEXT[kind] ? CUE_TEXT[kind](cue) : cue.message || kind;
  if (held.length) {
    return el('div', { class: 'cue cue-held', 'data-cue': kind.toLowerCase(), 'data-held': 'yes', role: 'status' },
      el('span', { class: 'cue-held-why',
        text: `Not trusted until the ${sensorNames(held)} ${held.length > 1 ? 'are' : 'is'} checked` }),
      el('s', { class: 'cue-held-text', text }));
  }
  const tone = kind === 'STOP_SET' ? 'alert' : kind === 'ASYMMETRY_NORMAL' ? 'calm' : 'advice';
  const detail = cue.message && !(brief && tone === 'calm');
  return el('div', { class: `cue cue-${tone}`, 'data-cue': kind.toLowerCase(), role: 'status' },
    el('strong', { text }), detail ? el('span', { class: 'cue-detail', text: cue.message }) : null);
}

// Before the set's first compared pair the badge says what is true of the reps so far: none
// yet, one side waiting for the other (bilateral), the sides compared when the set ends
// (unilateral: expected, so said calmly), or both sides in but not paired yet. Never "no reps
// yet" beside a rep.
function pendingBadge(a) {
  const count = { left: 0, right: 0 };
  for (const v of a.reps.values()) if (v.side in count) count[v.side] += 1;
  const sides = ['left', 'right'].filter((k) => count[k] > 0);
  let head = 'no reps yet';
  if (sides.length && a.set && a.set.mode === 'unilateral') head = 'compared at set end';
  else if (sides.length === 1) head = `waiting for ${sides[0] === 'left' ? 'right' : 'left'}`;
  else if (sides.length === 2) head = 'not paired yet';
  const reps = (k) => `${k} ${count[k]} rep${count[k] === 1 ? '' : 's'}`;
  return el('div', { class: 'badge pending', 'data-band': 'n/a', 'data-reps': sides.join(' ') || 'none' },
    el('span', { class: 'badge-head', text: head }),
    sides.length ? el('span', { class: 'badge-gap', text: sides.map(reps).join(' · ') }) : null);
}

// The sensors of the set's limb (every limb before a set) whose values are wrong: a verdict
// or a cue drawn from them is not to be trusted until they are checked. Named as a coach reads
// them ("Left wrist").
function suspectSensors(a) {
  const limb = a.set && a.set.limb && a.set.limb !== 'unspecified' ? a.set.limb : null;
  return [...a.problems.keys()].filter((key) => !limb || key.endsWith(` ${limb}`)).map(cap);
}

// "left wrist", "left wrist and right wrist": the sensors in a sentence.
function sensorNames(sensors) {
  return sensors.join(' and ').toLowerCase();
}

// "12 % ROM gap", or null while the badge has no percentage.
function romGapText(b) {
  return b && Number.isFinite(b.pct) ? `${fmt(b.pct)} % ROM gap` : null;
}

// A verdict on hold: a sensor of the limb reads wrong, so no band is shown, not even a calm
// green. The gap stays (small, muted) for the coach who knows which sensor it is.
function heldBadge(a, suspects) {
  const gap = romGapText(a.badge);
  return el('div', { class: 'badge held', 'data-band': 'held', 'data-held-by': suspects.join(', ') },
    el('span', { class: 'badge-head', text: 'Verdict on hold' }),
    el('span', { class: 'badge-check', text: `check ${sensorNames(suspects)}` }),
    gap ? el('span', { class: 'badge-gap', text: gap }) : null);
}

// What the coach reads at two metres: the band, the gap, and a side only when there is a side to
// name. A green gap is normal, so no side is named; an amber or red gap that varies rep to rep
// names the side that is lower so far, not a weaker one, and is drawn as an outline: a solid
// amber or red across the gym reads as "act now", which such a gap does not ask for. Once the
// set has reps, a sensor of its limb that reads wrong holds the verdict (heldBadge; 'suspects':
// suspectSensors, found once per view for the badge and the cues).
function badge(a, suspects) {
  const b = a.badge;
  if (suspects.length && (b || a.reps.size)) return heldBadge(a, suspects);
  if (!b) return pendingBadge(a);
  const gap = romGapText(b) || 'ROM gap n/a';
  const side = b.weaker === 'left' || b.weaker === 'right' ? cap(b.weaker) : null;
  const concern = b.band === 'amber' || b.band === 'red';
  let weaker = null;
  if (concern) weaker = side ? `${side} ${b.significant ? 'weaker' : 'lower so far'}` : 'even';
  let sig = '';
  if (b.band === 'green') sig = 'within normal range';
  else if (concern) sig = b.significant ? 'consistent gap' : 'not consistent yet';
  return el('div', { class: 'badge', 'data-band': b.band, 'data-final': b.final ? 'yes' : 'no',
    'data-significant': b.band === 'n/a' ? null : b.significant ? 'yes' : 'no' },
    el('span', { class: 'badge-band', text: b.band === 'n/a' ? 'n/a' : b.band.toUpperCase() }),
    el('span', { class: 'badge-gap', text: gap }),
    weaker ? el('span', { class: 'badge-weaker', text: weaker }) : null,
    sig ? el('span', { class: `badge-sig ${concern && b.significant ? 'sig' : 'normal'}`, text: sig }) : null);
}

function repAttrs(a, view) {
  const r = view.rep;
  const uncertain = view.unpaired || r.bridged === true;
  return {
    class: `rep rep-${view.side}${uncertain ? ' uncertain' : ''}`,
    'data-athlete': a.name,
    'data-side': view.side,
    'data-set-index': r.set_index,
    'data-rep-index': r.index,
    'data-rom-deg': r.rom_deg,
    'data-uncertain': view.unpaired ? 'unpaired' : r.bridged === true ? 'bridged' : null,
  };
}

// The set's reps as an SVG bar chart: each row a left and a right bar, ROM to scale ('rows': the
// rows to draw, the newest last; the scale is the whole set's, so bars keep their length).
// 'width': the chart's width in SVG units; the focus view passes its column's width in CSS
// pixels, so its bars and labels have the same size in both orientations.
function repChart(a, big, rows = a.pairs, width = CHART_W) {
  const maxRom = Math.max(30, ...[...a.reps.values()].map((v) => v.rep.rom_deg || 0));
  // Tile rows are drawn at TILE_PX_PER_UNIT: 19-unit values read as ~17 px text, about the
  // smallest a coach reads from two metres beside the large last-rep figures. The focus
  // view draws one unit per pixel with 23 px labels, its bars apart enough that the L and R
  // values do not touch: it has the room.
  const rowH = big ? FOCUS_ROW_H : TILE_ROW_H;
  const barH = big ? 23 : 19;
  const labelW = big ? 64 : 46;
  const scale = (width - labelW - (big ? 110 : 80)) / maxRom; // room for the value after the bar
  const height = Math.max(rowH, rows.length * rowH) + 4;
  const chart = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-label': `${a.name}: range of motion per rep, left and right` });
  rows.forEach((row, i) => {
    const y = i * rowH + 2;
    const first = row.left || row.right;
    chart.append(svg('text', { x: 0, y: y + barH + 4, class: 'chart-label', 'font-size': barH + 1 }, document.createTextNode(`#${first ? first.rep.index : i + 1}`)));
    for (const [k, view] of [['left', row.left], ['right', row.right]]) {
      if (!view) continue;
      const by = k === 'left' ? y : y + barH + (big ? 6 : 1);
      const w = Math.max(2, view.rep.rom_deg * scale);
      const g = svg('g', repAttrs(a, view));
      g.append(svg('rect', { x: labelW, y: by, width: w, height: barH, rx: 3, class: `bar bar-${k}` }));
      g.append(svg('text', { x: labelW + w + 6, y: by + barH - 2, class: 'bar-value', 'font-size': barH },
        document.createTextNode(`${k === 'left' ? 'L' : 'R'} ${fmt(view.rep.rom_deg)}°`)));
      chart.append(g);
    }
  });
  return chart;
}

// 'compact' (tiles): the state word only when it is not "connected" (the chip's colour says
// that), and the age without "updated", so both chips of a pair fit on one line and the reps
// stay in view.
function sensorChips(a, compact) {
  const box = el('div', { class: `sensors${compact ? ' compact' : ''}` });
  const now = performance.now();
  const mine = state.devices.filter((d) => d.athlete === a.name && (d.box || '') === a.box);
  const problemLines = []; // the focus view says what is wrong; a tile's amber chip says where
  for (const d of mine) {
    const key = `${d.side} ${d.limb}`;
    const event = a.sensors.get(key);
    const age = d.sample_age_s + (now - state.devicesAt) / 1000;
    let status = d.state === 'connected' ? 'connected' : d.state === 'connecting' ? 'lost' : d.state;
    if (event && event.kind === 'lost' && d.state !== 'connected') status = 'lost';
    const problem = a.problems.get(key);
    if (problem && status === 'connected') status = 'check';
    if (problem && !compact) {
      problemLines.push(el('p', { class: 'sensor-problem' },
        el('strong', { text: `${cap(d.side)} ${d.limb}:` }), ` ${problem}`));
    }
    const stale = !state.live || !boxUp(a) || age > STALE_SAMPLE_S;
    box.append(el('div', { class: `sensor ${status}${stale ? ' stale' : ''}`, 'data-sensor': d.name,
      'data-side': null, 'data-state': status, title: status },
      el('span', { class: 'sensor-name', text: `${cap(d.side)} ${d.limb}` }),
      compact && status === 'connected' ? null : el('span', { class: 'sensor-state', text: status }),
      el('span', { class: 'sensor-rate', text: `${fmt(d.measured_rate_hz)} Hz` }),
      el('span', { class: 'sensor-age',
        text: `${compact ? '' : 'updated '}${fmt(Math.max(0, age))} s ago` })));
  }
  if (!mine.length) box.append(el('span', { class: 'sensor none', text: 'no sensors listed' }));
  box.append(...problemLines);
  return box;
}

// The set's number and state as a chip of its own (beside the name on a tile), so the exercise
// line stays short: that line never wraps, a long exercise name is cut with an ellipsis.
function setState(a) {
  if (!a.set) return null;
  const s = a.set;
  return el('span', { class: `set-state ${s.running ? 'running' : 'ended'}`, 'data-running': s.running ? 'yes' : 'no' },
    el('span', { text: `set ${s.index}` }), el('span', { text: s.running ? 'in progress' : 'ended' }));
}

function setLine(a) {
  if (!a.set) return el('div', { class: 'set-line' }, el('span', { class: 'set-exercise none', text: 'No set yet' }));
  const s = a.set;
  // A unilateral set names its side while only that side has worked; once the other side has
  // done reps too (sides taken in turn) it is "one side at a time".
  // (a.reps holds the current set's reps only.)
  const named = s.side === 'left' || s.side === 'right';
  const onlyNamed = named && [...a.reps.values()].every((v) => v.side === s.side);
  const mode = s.mode !== 'unilateral' ? 'both sides' : onlyNamed ? `one side (${s.side})` : 'one side at a time';
  const exercise = (s.exercise || 'generic').replace(/_/g, ' ');
  return el('div', { class: 'set-line', title: `${exercise} · ${mode}` },
    el('span', { class: 'set-exercise', text: exercise }),
    el('span', { class: 'set-mode', text: `\u00a0· ${mode}` }));
}

function lastRepBars(a) {
  // The most recent row, big: what the coach glances at. A unilateral set has no pairs, only
  // rows of one side: each side's newest rep is shown.
  const row = a.pairs[a.pairs.length - 1];
  const box = el('div', { class: 'last-rep' });
  if (!row) return box;
  const unilateral = a.set && a.set.mode === 'unilateral';
  const newest = (k) => [...a.pairs].reverse().map((r) => r[k]).find((v) => v);
  // A bilateral rep whose partner is still to come (the other side's data may be a second
  // behind) shows "…" for that side, not the dash of a rep that never came (unpaired).
  const waiting = !unilateral && row.single && ![row.left, row.right].some((v) => v && v.unpaired);
  for (const k of ['left', 'right']) {
    const view = unilateral ? newest(k) : row[k];
    const pending = !view && waiting;
    box.append(el('div', { class: `big-rom big-${k}${view && (view.unpaired || view.rep.bridged === true) ? ' uncertain' : ''}${pending ? ' pending' : ''}` },
      el('span', { class: 'big-side', text: k === 'left' ? 'L' : 'R' }),
      el('span', { class: 'big-value', text: view ? `${fmt(view.rep.rom_deg)}°` : pending ? '…' : '–' })));
  }
  return box;
}

function summaryPanel(a) {
  const s = a.summary;
  if (!s) return null;
  const side = (x) => x || {};
  const L = side(s.left);
  const R = side(s.right);
  return el('div', { class: 'summary', 'data-set-index': s.set_index },
    el('h3', { text: `Set ${s.set_index} summary` }),
    el('table', {},
      el('tr', {}, el('th', {}), el('th', { text: 'Left' }), el('th', { text: 'Right' })),
      el('tr', {}, el('td', { text: 'reps' }), el('td', { text: fmt(L.rep_count) }), el('td', { text: fmt(R.rep_count) })),
      el('tr', {}, el('td', { text: 'mean ROM' }), el('td', { text: `${fmt(L.mean_rom_deg)}°` }), el('td', { text: `${fmt(R.mean_rom_deg)}°` })),
      el('tr', {}, el('td', { text: 'up / down' }), el('td', { text: `${fmt(L.mean_concentric_s, 1)} / ${fmt(L.mean_eccentric_s, 1)} s` }),
        el('td', { text: `${fmt(R.mean_concentric_s, 1)} / ${fmt(R.mean_eccentric_s, 1)} s` })),
      el('tr', {}, el('td', { text: 'max speed loss' }), el('td', { text: `${fmt(L.max_speed_loss_pct)} %` }), el('td', { text: `${fmt(R.max_speed_loss_pct)} %` }))));
}

function summaryLine(a) {
  const s = a.summary;
  if (!s) return null;
  const L = s.left || {};
  const R = s.right || {};
  // Each group stays whole and the line breaks only between them (apart by a gap, not a dot
  // that would start a row).
  const loss = fmt(Math.max(L.max_speed_loss_pct || 0, R.max_speed_loss_pct || 0));
  // A unilateral set says whose set it was: in a split squat both legs show reps.
  const work = sideName(s.working_side);
  const limb = enumShort(s.limb, 'LIMB_') === 'ankle' ? 'leg' : 'arm';
  const whose = work === 'left' || work === 'right' ? ` (${work} ${limb})` : '';
  return el('div', { class: 'summary summary-line', 'data-set-index': s.set_index },
    el('strong', { text: `Set ${s.set_index} done${whose}:` }),
    el('span', { text: `L ${fmt(L.mean_rom_deg)}° × ${fmt(L.rep_count)}` }),
    el('span', { text: `R ${fmt(R.mean_rom_deg)}° × ${fmt(R.rep_count)}` }),
    el('span', { text: `max speed loss ${loss} %` }));
}

// The newest 'shown' rows of the set's chart, and a quiet line counting the earlier ones: on a
// tile (all of them are in the focus view), or in the focus view ('big', drawn at 'width'; all
// of them are in its table).
function repBlock(a, shown, big = false, width = CHART_W) {
  const from = Math.max(0, a.pairs.length - shown);
  const hidden = a.pairs.slice(0, from);
  const hiddenReps = hidden.reduce((n, row) => n + (row.left ? 1 : 0) + (row.right ? 1 : 0), 0);
  const where = big ? ' in the table' : '';
  return el('div', { class: 'rep-block' },
    hidden.length ? el('div', { class: 'earlier', 'data-rows': hidden.length, 'data-reps': hiddenReps,
      text: `+${hidden.length} earlier rep${hidden.length === 1 ? '' : 's'}${where}` }) : null,
    repChart(a, big, a.pairs.slice(from), width));
}

// Up to six athletes fit on a tablet without scrolling. Two: side by side in landscape (each
// tile may take the height below the bar), one above the other in portrait (the two share that
// height, so a short tile leaves its room to the other). Three to six share the screen in a grid
// (CSS: two columns, three in landscape from five; at most two rows in landscape, three in
// portrait): each tile gets its row's height, and sheds what it can (earlier chart rows, then the
// chart, the set's summary, the cue's detail, sensors that are fine, the exercise line) before it
// overflows. A seventh athlete and more scroll, each tile as tall as a row of six.
function fitTiles(tiles, athletes) {
  const many = athletes.length > 2;
  tiles.classList.toggle('many', many);
  tiles.classList.toggle('crowd', athletes.length > 4);
  const style = getComputedStyle(tiles);
  const columns = style.gridTemplateColumns.split(' ').length;
  const gap = parseFloat(style.rowGap) || 0;
  const top = tiles.getBoundingClientRect().top + window.scrollY;
  const room = window.innerHeight - top - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
  const nodes = [...tiles.querySelectorAll('.tile')];
  // Measured at their own heights: a grid row stretches a short tile to its neighbour's.
  tiles.classList.add('fitting');
  if (many) {
    // The orientation as app.css sees it, so the rows budgeted here are the ones it lays out.
    const landscape = window.matchMedia('(orientation: landscape)').matches;
    const rows = Math.min(Math.ceil(nodes.length / columns), landscape ? 2 : 3);
    const budget = (room - gap * (rows - 1)) / rows;
    nodes.forEach((t, i) => fitGroup([t], [athletes[i]], budget, true));
  } else if (columns >= 2) {
    nodes.forEach((t, i) => fitGroup([t], [athletes[i]], room));
  } else {
    fitGroup(nodes.slice(0, 2), athletes.slice(0, 2), room - gap * (Math.min(2, nodes.length) - 1));
  }
  tiles.classList.remove('fitting');
}

// What a tile among many sheds, in this order, when its newest chart row alone does not fit: the
// class each step adds (app.css hides the part). The name, the set's state, the verdict badge,
// the newest rep's two big numbers, a cue's headline and a lost sensor always stay.
const SHED = ['shed-chart', 'shed-summary', 'shed-detail', 'shed-sensors', 'shed-set-line'];

// Fits the tiles 'ts' into 'budget' (fitRows); 'shed': a tile then sheds parts (SHED) while it
// is still too tall.
function fitGroup(ts, as, budget, shed = false) {
  fitRows(ts, as, budget);
  if (!shed) return;
  for (const step of SHED) {
    if (ts.reduce((h, t) => h + t.getBoundingClientRect().height, 0) - budget <= 0.5) return;
    ts.forEach((t) => t.classList.add(step));
  }
}

// Drops the oldest chart rows of the tiles 'ts' until together they are no taller than 'budget',
// always from the tile showing the most rows and keeping each tile's newest row; measured again
// after each step, since an "earlier" line takes room too.
function fitRows(ts, as, budget) {
  const shown = as.map((a) => a.pairs.length);
  for (let step = 0; step < 4; step += 1) {
    let over = ts.reduce((h, t) => h + t.getBoundingClientRect().height, 0) - budget;
    if (over <= 0.5) return;
    const before = shown.slice();
    while (over > 0) {
      let i = -1;
      shown.forEach((n, k) => { if (n > 1 && (i < 0 || n > shown[i])) i = k; });
      if (i < 0) break;
      const chart = ts[i].querySelector('.rep-block .chart');
      over -= (chart.getBoundingClientRect().width / chart.viewBox.baseVal.width) * TILE_ROW_H;
      shown[i] -= 1;
    }
    if (shown.every((n, k) => n === before[k])) return;
    ts.forEach((t, k) => {
      if (shown[k] !== before[k]) t.querySelector('.rep-block').replaceWith(repBlock(as[k], shown[k], false, tileChartWidth()));
    });
  }
}

function tile(a) {
  const t = el('article', { class: `tile${a.set && a.set.running ? ' in-set' : ''}${boxUp(a) ? '' : ' box-down'}`,
    'data-athlete': a.name, 'data-box': a.box || null, 'data-key': a.key, tabindex: 0,
    'aria-label': `${a.name}${a.box ? ` at ${a.box}` : ''}: open focus view` });
  t.append(el('div', { class: 'tile-head' },
    el('h2', { text: a.name }, a.box ? el('span', { class: 'tile-box', text: a.box }) : null), setState(a)));
  const suspects = suspectSensors(a);
  t.append(badge(a, suspects));
  t.append(setLine(a));
  t.append(sensorChips(a, true));
  for (const c of a.cues) t.append(cueBanner(c, true, suspects));
  if (a.summary) t.append(summaryLine(a));
  t.append(lastRepBars(a));
  t.append(repBlock(a, a.pairs.length, false, tileChartWidth()));
  // Taps and Enter are taken by the tiles' container (takeTilePresses): this element may be
  // gone before a tap ends.
  return t;
}

function repTable(a) {
  const table = el('table', { class: 'reps' });
  // Headers may wrap (the table shares the width with the big figures), but never inside "L / R".
  const lr = 'L\u00a0/\u00a0R';
  table.append(el('tr', {}, el('th', { text: 'rep' }), el('th', { text: `ROM ${lr}` }),
    el('th', { text: `up ${lr}` }), el('th', { text: `down ${lr}` }), el('th', { text: 'lead' }),
    el('th', { text: `speed loss ${lr}` })));
  const pairText = (l, r, f) => `${l ? f(l) : '–'} / ${r ? f(r) : '–'}`;
  for (const row of a.pairs) {
    const L = row.left;
    const R = row.right;
    const first = L || R;
    const lead = Number.isFinite(row.lead_ms)
      ? (Math.abs(row.lead_ms) < 0.5 ? 'together' : `${row.lead_ms > 0 ? 'L' : 'R'} +${fmt(Math.abs(row.lead_ms))} ms`)
      : '–';
    const loss = (v) => (v ? a.fatigue.get(`${v.side}/${v.rep.index}`) : undefined);
    const uncertain = [L, R].filter((v) => v && (v.unpaired || v.rep.bridged === true));
    // Why a row is uncertain goes under its number, in small type: a word beside it would widen
    // the column and wrap every header.
    const why = uncertain.length ? (uncertain[0].unpaired ? 'unpaired' : 'bridged') : null;
    table.append(el('tr', { class: why ? 'uncertain' : '' },
      el('td', { text: `#${first.rep.index}` }, why ? el('span', { class: 'rep-note', text: why }) : null),
      el('td', { text: pairText(L, R, (v) => `${fmt(v.rep.rom_deg)}°`) }),
      el('td', { text: `${pairText(L, R, (v) => fmt(v.rep.concentric_s, 1))} s` }),
      el('td', { text: `${pairText(L, R, (v) => fmt(v.rep.eccentric_s, 1))} s` }),
      el('td', { text: lead }),
      el('td', { text: `${fmt(loss(L))} / ${fmt(loss(R))} %` })));
  }
  return table;
}

// The printable reports ambi-web serves (clients/report), opened in a new tab so the live
// view keeps running.
function reportLinks(a) {
  const open = { target: '_blank', rel: 'noopener' };
  const box = a.box ? `box=${encodeURIComponent(a.box)}` : '';
  return el('nav', { class: 'report-links' },
    a.sessionId ? el('a', { ...open, class: 'report-link', 'data-report': 'session',
      href: `/report/session/${encodeURIComponent(a.sessionId)}${box ? `?${box}` : ''}`, text: 'Report' }) : null,
    el('a', { ...open, class: 'report-link', 'data-report': 'weeks',
      href: `/report/athlete/${encodeURIComponent(a.name)}?weeks=4${box ? `&${box}` : ''}`, text: 'Weeks' }));
}

function renderFocus() {
  const focus = document.getElementById('focus');
  const a = state.focus && state.athletes.get(state.focus);
  if (!a) {
    focus.hidden = true;
    document.body.classList.remove('focused');
    return;
  }
  focus.hidden = false;
  document.body.classList.add('focused');
  document.getElementById('focus-name').textContent = a.box ? `${a.name} · ${a.box}` : a.name;
  // Drawn again only when they change: a link replaced under the coach's finger is never opened.
  const links = document.getElementById('focus-links');
  const linksFor = `${a.key}\n${a.sessionId || ''}`;
  if (links.dataset.for !== linksFor) {
    links.replaceChildren(reportLinks(a));
    links.dataset.for = linksFor;
  }
  const body = document.getElementById('focus-body');
  const suspects = suspectSensors(a);
  body.replaceChildren(
    el('div', { class: 'focus-top', 'data-athlete': a.name }, badge(a, suspects),
      el('div', { class: 'focus-set' }, setLine(a), setState(a))),
    sensorChips(a),
    ...a.cues.map((c) => cueBanner(c, false, suspects)),
    el('div', { class: 'focus-grid' },
      el('div', { class: 'focus-last' }, lastRepBars(a)),
      el('div', { class: 'focus-chart' }, repBlock(a, a.pairs.length, true, state.focusChartW || CHART_W)),
      el('div', { class: 'focus-side' }, el('div', { class: 'reps-scroll' }, repTable(a)),
        summaryPanel(a) || el('span'))));
  // Drawn again at its column's width once that is known (and after a turn of the tablet).
  const holder = body.querySelector('.focus-chart');
  const width = Math.round(holder.clientWidth);
  if (width > 0 && width !== (state.focusChartW || CHART_W)) {
    state.focusChartW = width;
    holder.replaceChildren(repBlock(a, a.pairs.length, true, width));
  }
  fitFocus(a, holder);
  // The table keeps the newest reps in view (unless the coach scrolled it back), once laid out.
  // Only the coach's hand moves that place: a scroll the page made (its own placing, a relayout
  // after the tablet turned) would otherwise pin the table short of its newest rows.
  const scroller = body.querySelector('.reps-scroll');
  const place = () => {
    scroller.scrollTop = state.focusTableBack === null ? scroller.scrollHeight : state.focusTableBack;
  };
  place();
  requestAnimationFrame(place);
  let byHand = false;
  for (const kind of ['wheel', 'touchstart', 'pointerdown', 'keydown']) {
    scroller.addEventListener(kind, () => { byHand = true; }, { passive: true });
  }
  scroller.addEventListener('scroll', () => {
    if (!byHand) return;
    const atEnd = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 2;
    state.focusTableBack = atEnd ? null : scroller.scrollTop;
  });
}

// In portrait the focus view stacks the big figures, the chart, the table (and at a set's end
// its summary): a long set would push its newest reps below the screen. The chart then draws
// the newest rows that fit (at least FOCUS_MIN_ROWS; the table scrolls on its own), so the
// figures need no scrolling. The set controls below them may.
function fitFocus(a, holder) {
  if (!window.matchMedia('(orientation: portrait)').matches) return;
  const body = document.getElementById('focus-body');
  const over = () => body.getBoundingClientRect().bottom - window.innerHeight;
  const width = state.focusChartW || CHART_W;
  const least = Math.min(FOCUS_MIN_ROWS, a.pairs.length);
  let shown = a.pairs.length;
  for (let step = 0; step < 4 && shown > least; step += 1) {
    const excess = over();  // one layout read per step
    if (excess <= 0.5) break;
    const chart = holder.querySelector('.chart');
    const rowPx = chart && shown ? chart.getBoundingClientRect().height / shown : FOCUS_ROW_H;
    shown = Math.max(least, shown - Math.ceil(excess / Math.max(1, rowPx)));
    holder.replaceChildren(repBlock(a, shown, true, width));
  }
  // The table scrolls on its own with its newest row in view: it shows whole rows under its
  // header. Warnings above (a sensor to check, a verdict on hold) may leave no room even then:
  // it gives up the rest, down to its header and FOCUS_TABLE_MIN_ROWS rows.
  const scroller = body.querySelector('.reps-scroll');
  const room = scroller.getBoundingClientRect().height - Math.max(0, over());
  scroller.style.maxHeight = `${wholeRowsHeight(scroller, room)}px`;
}

// The height, at most 'roomPx' (but never under the header and FOCUS_TABLE_MIN_ROWS rows), at
// which the table in 'scroller', scrolled to its end, shows its header and its newest rows
// whole: no row half hidden under the sticky header.
function wholeRowsHeight(scroller, roomPx) {
  const rows = [...scroller.querySelectorAll('tr')].map((r) => r.getBoundingClientRect());
  if (rows.length === 0) return roomPx;
  const head = rows[0].bottom - rows[0].top;
  const end = rows[rows.length - 1].bottom;
  let top = end;  // the top of the oldest row shown
  for (let i = rows.length - 1, shown = 0; i > 0; i -= 1, shown += 1) {
    if (shown >= FOCUS_TABLE_MIN_ROWS && head + end - rows[i].top > roomPx) break;
    top = rows[i].top;
  }
  return Math.ceil(head + end - top);
}

// The key of the athlete whose tile holds 'node' (an event's target, the focused element), or
// null.
function tileKeyOf(node) {
  const t = node instanceof Element ? node.closest('.tile') : null;
  return t ? t.dataset.key : null;
}

// The width in SVG units a tile's chart is drawn at: its width on screen at TILE_PX_PER_UNIT,
// once a tile has been laid out (state.tileChartPx; CHART_W before).
function tileChartWidth() {
  return state.tileChartPx ? Math.round(state.tileChartPx / TILE_PX_PER_UNIT) : CHART_W;
}

function render() {
  const tiles = document.getElementById('tiles');
  for (const d of state.devices) athlete(d.athlete, d.box || '');
  const sorted = [...state.athletes.values()].filter((a) => a.name !== '?')
    .sort((x, y) => x.name.localeCompare(y.name) || x.box.localeCompare(y.box));
  document.getElementById('empty').hidden = sorted.length > 0;
  // The tile the keyboard is on keeps the focus when it is drawn anew (several times a second
  // in a set), so Tab and Enter work as on a page that stands still.
  const focusedKey = tileKeyOf(document.activeElement);
  const draw = () => {
    tiles.querySelectorAll('.tile').forEach((t) => t.remove());
    for (const a of sorted) tiles.append(tile(a));
    if (focusedKey === null) return;
    const again = [...tiles.querySelectorAll('.tile')].find((t) => t.dataset.key === focusedKey);
    if (again) again.focus({ preventScroll: true });
  };
  draw();
  // Drawn again at the tiles' chart width once it is known, or when it changed (a turn of the
  // tablet, more athletes): a chart's width on screen does not depend on what it was drawn at.
  const chart = tiles.querySelector('.tile .rep-block .chart');
  const chartPx = chart ? Math.round(chart.getBoundingClientRect().width) : 0;
  if (chartPx > 0 && chartPx !== state.tileChartPx) {
    state.tileChartPx = chartPx;
    draw();
  }
  fitTiles(tiles, sorted);
  renderFocus();
  document.body.classList.toggle('live', state.live && state.upstream.connected);
  document.body.classList.toggle('stale', !(state.live && state.upstream.connected));
  const link = document.getElementById('link');
  const linkState = !state.live ? 'down' : state.upstream.connected ? 'live' : 'no-daemon';
  link.dataset.state = linkState;
  link.textContent = { live: 'live', down: 'not connected', 'no-daemon': 'ambid not reachable' }[linkState];
}

// ---- focus view and set control ----

function openFocus(name) {
  state.focus = name;
  state.focusTableBack = null;
  renderFocus();
  loadExercises();
}

async function loadExercises() {
  // Each box has its own catalog (usually the same one).
  const a = state.focus && state.athletes.get(state.focus);
  const box = a ? a.box : '';
  if (state.exercises.length && state.exercisesBox === box) return;
  try {
    const response = await fetch(box ? `/api/exercises?box=${encodeURIComponent(box)}` : '/api/exercises',
      { credentials: 'same-origin' });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.statusText);
    state.exercises = body.exercises || [];
    state.exercisesBox = box;
    const select = document.getElementById('exercise');
    select.replaceChildren(el('option', { value: '', text: 'session exercise' }),
      ...state.exercises.map((x) => el('option', { value: x.name, text: x.display_name || x.name })));
  } catch (e) {
    document.getElementById('control-result').textContent = `Exercises unavailable: ${e.message}`;
  }
}

async function control(path, body) {
  const out = document.getElementById('control-result');
  out.textContent = '…';
  try {
    const response = await fetch(path, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    const answer = await response.json();
    out.textContent = response.ok ? (answer.set_index ? `Set ${answer.set_index} started` : 'Done') : answer.error;
  } catch (e) {
    out.textContent = `Failed: ${e.message}`;
  }
}

// ---- the stream ----

let source = null;
let retryTimer = null;

function setLive(live) {
  state.live = live;
  document.getElementById('drop-banner').hidden = live;
  scheduleRender();
}

function connect() {
  if (source) source.close();
  clearTimeout(retryTimer);
  // A fresh EventSource has no Last-Event-ID of its own: the page passes what it has.
  source = new EventSource(state.lastSeq ? `/events?last_event_id=${state.lastSeq}` : '/events');
  state.streams += 1;
  source.onopen = () => setLive(true);
  source.onmessage = (m) => {
    let live;
    try {
      live = JSON.parse(m.data);
    } catch (e) {
      console.warn('ambi: unreadable event', e);
      return;
    }
    applyEvent(live, Number(m.lastEventId));
  };
  source.addEventListener('reset', () => {
    resetAll();
    scheduleRender();
  });
  source.addEventListener('devices', (m) => {
    state.devices = JSON.parse(m.data).devices || [];
    state.devicesAt = performance.now();
    scheduleRender();
  });
  source.addEventListener('upstream', (m) => {
    state.upstream = JSON.parse(m.data);
    scheduleRender();
  });
  source.onerror = () => {
    state.streamErrors += 1;
    setLive(false);
    // The browser may retry by itself, but not always after a network error (and never once
    // CLOSED): if the stream is not back by then, start a fresh one from the last id.
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      if (!state.live) connect();
    }, RECONNECT_MS);
  };
}

window.addEventListener('resize', scheduleRender);

window.addEventListener('online', () => {
  if (!state.live) connect();
});

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible') return;
  // A tablet that slept may hold a dead connection: start a fresh one from the last id.
  if (!source || source.readyState !== EventSource.OPEN || !state.live) connect();
  updateWakeLock();
});

// ---- screen wake lock while a set runs ----

let wakeLock = null;
async function updateWakeLock() {
  const running = [...state.athletes.values()].some((a) => a.set && a.set.running);
  try {
    if (running && !wakeLock && 'wakeLock' in navigator && document.visibilityState === 'visible') {
      wakeLock = await navigator.wakeLock.request('screen');
      wakeLock.addEventListener('release', () => { wakeLock = null; });
    } else if (!running && wakeLock) {
      await wakeLock.release();
      wakeLock = null;
    }
  } catch (e) {
    // Refused (battery saver, no user gesture yet): the page works, the screen may dim.
    wakeLock = null;
  }
}

// ---- start ----

// Tiles are drawn anew on every event, several times a second in a set, so the tile a finger
// pressed may be replaced before it lifts, and the browser then sends no click: a tap is a press
// and a release on tiles of the same athlete. Enter on a tile opens it too.
function takeTilePresses() {
  const tiles = document.getElementById('tiles');
  let pressed = null;
  tiles.addEventListener('pointerdown', (e) => { pressed = e.isPrimary ? tileKeyOf(e.target) : null; });
  tiles.addEventListener('pointerup', (e) => {
    const key = tileKeyOf(e.target);
    if (key !== null && key === pressed) openFocus(key);
    pressed = null;
  });
  tiles.addEventListener('pointercancel', () => { pressed = null; });  // a scroll, not a tap
  tiles.addEventListener('keydown', (e) => {
    const key = tileKeyOf(e.target);
    if (e.key === 'Enter' && key !== null) openFocus(key);
  });
}

function start() {
  takeTilePresses();
  document.getElementById('back').addEventListener('click', () => {
    state.focus = null;
    renderFocus();
  });
  // Set control goes to the box of the athlete in focus (ambi-web routes it by 'box').
  const focused = () => state.focus && state.athletes.get(state.focus);
  document.getElementById('start-set').addEventListener('click', () => {
    const a = focused();
    if (!a) return;
    control('/api/set/start', {
      athlete: a.name,
      box: a.box || undefined,
      exercise: document.getElementById('exercise').value,
      mode: document.getElementById('mode').value,
      side: document.getElementById('side').value,
    });
  });
  document.getElementById('end-set').addEventListener('click', () => {
    const a = focused();
    if (a) control('/api/set/end', { athlete: a.name, box: a.box || undefined });
  });
  // "updated N s ago" keeps counting between device lists; stale numbers turn grey.
  setInterval(scheduleRender, 1000);
  setInterval(() => {
    document.getElementById('clock').textContent = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }, 1000);
  connect();
}

start();
