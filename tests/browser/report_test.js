#!/usr/bin/env node
// The coach's reports in Debian's headless chromium (playwright-core drives /usr/bin/chromium;
// no browser is downloaded). Reads the reports and the stored values that tests/ctl/ctl_e2e.py
// wrote to DIR, then checks:
//   - each page loads with no console error, no page error and no network request;
//   - the SVG marks' data- values equal the stored reps and weekly figures;
//   - chromium --print-to-pdf gives the expected page count (one page of overview, one per set);
// a unilateral session's report draws every stored rep of each side (ROM and tempo);
// and writes full-page screenshots (DIR/*.png) for people to look at.
//
//   node tests/browser/report_test.js build/x/ctl-reports

'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');

const kChromium = '/usr/bin/chromium';
const kArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// Values in data- attributes are the stored doubles printed exactly; the export CSV (the source
// of the expected reps) has four decimals.
const kCsvRounding = 0.00006;

const failures = [];
let checks = 0;
function check(condition, what) {
  checks += 1;
  if (!condition) failures.push(what);
}

function freshProfile() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ambi-report-chromium-'));
}

// Loads 'file' and returns what the page asked for and complained about.
async function load(context, file) {
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      problems.push(`console ${message.type()}: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => requests.push(request.url()));
  const url = 'file://' + path.resolve(file);
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForTimeout(200);  // anything late (fonts, lazy images) would ask now
  check(problems.length === 0, `${file}: ${problems.join('; ')}`);
  const others = requests.filter((r) => r !== url);
  check(others.length === 0, `${file}: network requests ${others.join(', ')}`);
  return page;
}

function pdfPages(file, out) {
  const profile = freshProfile();
  try {
    execFileSync(kChromium, [...kArgs, `--user-data-dir=${profile}`, '--no-pdf-header-footer',
      `--print-to-pdf=${out}`, 'file://' + path.resolve(file)], { stdio: 'pipe', timeout: 120000 });
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
  const pdf = fs.readFileSync(out, 'latin1');
  return (pdf.match(/\/Type\s*\/Page(?![s\w])/g) || []).length;
}

async function checkSession(context, expected, dir) {
  const page = await load(context, expected.file);
  const bars = await page.$$eval('rect.rom-bar', (nodes) => nodes.map((n) => ({
    set: Number(n.dataset.set), pair: Number(n.dataset.pair), side: n.dataset.side,
    rom_deg: Number(n.dataset.romDeg) })));
  check(bars.length === expected.reps.length,
    `session: ${bars.length} ROM bars, ${expected.reps.length} stored reps`);
  const tempo = await page.$$eval('g.tempo-bar', (nodes) => nodes.map((n) => ({
    set: Number(n.dataset.set), pair: Number(n.dataset.pair), side: n.dataset.side,
    concentric_s: Number(n.dataset.concentricS), eccentric_s: Number(n.dataset.eccentricS) })));
  for (const rep of expected.reps) {
    const key = (m) => m.set === rep.set && m.pair === rep.pair && m.side === rep.side;
    const bar = bars.find(key);
    const t = tempo.find(key);
    const what = `session set ${rep.set} pair ${rep.pair} ${rep.side}`;
    check(bar && Math.abs(bar.rom_deg - rep.rom_deg) <= kCsvRounding,
      `${what}: ROM bar ${bar && bar.rom_deg} vs stored ${rep.rom_deg}`);
    check(t && Math.abs(t.concentric_s - rep.concentric_s) <= kCsvRounding &&
      Math.abs(t.eccentric_s - rep.eccentric_s) <= kCsvRounding,
    `${what}: tempo ${t && [t.concentric_s, t.eccentric_s]} vs stored ` +
      `${[rep.concentric_s, rep.eccentric_s]}`);
  }
  // Every bar stands on the axis and is as tall as its value says (the drawing matches the data).
  const heights = await page.$$eval('figure.rom svg', (svgs) => svgs.map((svg) => {
    const bars = [...svg.querySelectorAll('rect.rom-bar')];
    return bars.map((b) => ({ rom: Number(b.dataset.romDeg),
      bottom: Number(b.getAttribute('y')) + Number(b.getAttribute('height')),
      height: Number(b.getAttribute('height')) }));
  }));
  for (const chart of heights) {
    const scale = chart.length ? chart[0].height / chart[0].rom : 0;
    for (const bar of chart) {
      check(Math.abs(bar.bottom - chart[0].bottom) < 0.2, 'session: ROM bars share the axis');
      check(Math.abs(bar.height - bar.rom * scale) < 0.3, `session: bar of ${bar.rom}° drawn to scale`);
    }
  }
  const sections = await page.$$eval('section.set', (nodes) => nodes.length);
  check(sections === expected.sets, `session: ${sections} set sections, ${expected.sets} sets`);
  await page.setViewportSize({ width: 900, height: 1200 });
  await page.screenshot({ path: path.join(dir, 'session-report.png'), fullPage: true });
  await page.close();
  const pages = pdfPages(expected.file, path.join(dir, 'session-report.pdf'));
  check(pages === 1 + expected.sets,
    `session: PDF has ${pages} pages, want ${1 + expected.sets} (overview + one per set)`);
}

// A unilateral session: each side's reps drawn on their own (ROM and tempo), every stored rep.
async function checkUnilateral(context, expected, dir) {
  const page = await load(context, expected.file);
  const read = (selector) => page.$$eval(selector, (nodes) => nodes.map((n) => ({
    set: Number(n.dataset.set), rep: Number(n.dataset.rep), side: n.dataset.side,
    rom_deg: Number(n.dataset.romDeg), concentric_s: Number(n.dataset.concentricS),
    eccentric_s: Number(n.dataset.eccentricS) })));
  const bars = await read('rect.rom-bar.unilateral');
  const tempo = await read('g.tempo-bar.unilateral');
  check(expected.reps.length > 0, 'unilateral: the session has stored reps');
  for (const rep of expected.reps) {
    const key = (m) => m.set === rep.set && m.rep === rep.rep && m.side === rep.side;
    const what = `unilateral set ${rep.set} ${rep.side} rep ${rep.rep}`;
    const bar = bars.find(key);
    const t = tempo.find(key);
    check(bar && bar.rom_deg === rep.rom_deg, `${what}: ROM bar ${bar && bar.rom_deg} vs stored ` +
      `${rep.rom_deg}`);
    check(t && t.concentric_s === rep.concentric_s && t.eccentric_s === rep.eccentric_s,
      `${what}: tempo ${t && [t.concentric_s, t.eccentric_s]} vs stored ` +
      `${[rep.concentric_s, rep.eccentric_s]}`);
  }
  check(bars.every((b) => expected.reps.some((r) => r.set === b.set && r.rep === b.rep &&
    r.side === b.side)), 'unilateral: every bar is a stored rep');
  await page.setViewportSize({ width: 900, height: 1200 });
  await page.screenshot({ path: path.join(dir, 'unilateral-report.png'), fullPage: true });
  await page.close();
  const pages = pdfPages(expected.file, path.join(dir, 'unilateral-report.pdf'));
  check(pages === 1 + expected.sets,
    `unilateral: PDF has ${pages} pages, want ${1 + expected.sets} (overview + one per set)`);
}

async function checkWeekly(context, expected, dir) {
  const page = await load(context, expected.file);
  const points = await page.$$eval('circle.trend-point', (nodes) => nodes.map((n) => ({
    week: n.dataset.week, exercise: n.dataset.exercise,
    pct: Number(n.dataset.romPercentDifference) })));
  const compared = expected.exercises.filter((e) => e.compared_sets > 0);
  check(points.length === compared.length,
    `weekly: ${points.length} trend points, ${compared.length} compared exercise-weeks`);
  for (const e of compared) {
    const point = points.find((p) => p.week === e.week && p.exercise === e.exercise);
    check(point && point.pct === e.mean_rom_percent_difference,
      `weekly ${e.week} ${e.exercise}: trend point ${point && point.pct} vs stored ` +
      `${e.mean_rom_percent_difference}`);
  }
  const roms = await page.$$eval('rect.week-rom', (nodes) => nodes.map((n) => ({
    week: n.dataset.week, exercise: n.dataset.exercise, side: n.dataset.side,
    rom: Number(n.dataset.romDeg) })));
  for (const e of expected.exercises) {
    for (const side of ['left', 'right']) {
      const want = e[`mean_${side}_rom_deg`];
      const got = roms.find((r) => r.week === e.week && r.exercise === e.exercise && r.side === side);
      if (want === null) {
        check(!got, `weekly ${e.week} ${e.exercise} ${side}: no bar without reps`);
      } else {
        check(got && got.rom === want,
          `weekly ${e.week} ${e.exercise} ${side}: ROM bar ${got && got.rom} vs stored ${want}`);
      }
    }
  }
  const balance = await page.$$eval('rect.balance-bar', (nodes) => nodes.map((n) => ({
    week: n.dataset.week, kind: n.dataset.kind, sets: Number(n.dataset.sets) })));
  for (const w of expected.weeks_detail) {
    for (const kind of ['push', 'pull']) {
      const bar = balance.find((b) => b.week === w.week && b.kind === kind);
      check(bar && bar.sets === w[`${kind}_sets`],
        `weekly ${w.week}: ${kind} bar ${bar && bar.sets} vs ${w[`${kind}_sets`]}`);
    }
  }
  const bands = await page.$$eval('figure.trend rect.band', (nodes) => nodes.map((n) => n.dataset.band));
  check(bands.join(',') === 'green,amber,red', `weekly: shaded bands ${bands}`);
  await page.setViewportSize({ width: 900, height: 1200 });
  await page.screenshot({ path: path.join(dir, 'weekly-report.png'), fullPage: true });
  await page.close();
  const pages = pdfPages(expected.file, path.join(dir, 'weekly-report.pdf'));
  check(pages >= 3, `weekly: PDF has ${pages} pages, want 3 or more (summary, trend, ROM)`);
}

async function main() {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: report_test.js DIR (written by tests/ctl/ctl_e2e.py)');
    process.exit(2);
  }
  const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
  const profile = freshProfile();
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: kChromium, headless: true, args: kArgs,
  });
  try {
    await checkSession(context, expected.session, dir);
    await checkUnilateral(context, expected.unilateral, dir);
    await checkWeekly(context, expected.weekly, dir);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  for (const failure of failures) console.log('FAIL:', failure);
  console.log(`${checks - failures.length} of ${checks} checks passed; screenshots in ${dir}`);
  process.exit(failures.length ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
