// A sensor whose values are wrong, in a real browser (Debian's chromium, playwright-core):
// ambi-sim-pty plays one athlete, carol, curling, whose left wrist's gyro reads a 14 deg/s
// offset, more than the daemon can learn. ambid reads both wrists through its serial path and
// names it (a bad_data sensor status with values_wrong); the live page shows that chip in amber
// as "check" on the tile, the badge holds the verdict (no band) and names the sensor to check,
// and the focus view says what is wrong. The right wrist stays green.
// Writes sensor-check-tile-landscape.png, sensor-check-cue-landscape.png and
// sensor-check-focus-portrait.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  bin, chromiumOptions, makeTempDir, nameTempDirs, publishedEvents, removeTempDirs, startProcess,
  startWeb, stopAll, until, untilFocusFits,
} from './web_rig.mjs';

const shots = process.env.AMBI_SCREENSHOT_DIR;
let browser = null;
let passed = false;

// Each sensor chip of carol's tile (or of the focus view): its name and the state it shows.
function chips(page, scope) {
  return page.evaluate((sel) => [...document.querySelectorAll(`${sel} .sensor`)]
    .filter((c) => c.getClientRects().length > 0)
    .map((c) => ({ name: c.querySelector('.sensor-name')?.textContent, state: c.dataset.state,
      text: c.textContent })), scope);
}

try {
  for (const [k, v] of Object.entries(bin)) {
    if (!v || !fs.existsSync(v)) throw new Error(`missing program ${k}: '${v}' (run through ctest)`);
  }
  if (shots) fs.mkdirSync(shots, { recursive: true });
  const dir = makeTempDir('ambi-sensor-check-');
  fs.mkdirSync(path.join(dir, 'links'));
  const sim = startProcess('sim', bin.simPty, ['--preset', 'curl', '--athlete', 'carol',
    '--faulty-gyro-deg-s', '14', '--link-dir', path.join(dir, 'links')], dir);
  await until('ambi-sim-pty to list two devices', () => sim.lines.length >= 2, 20000);
  const socket = path.join(dir, 'ambid.sock');
  let toml = `[daemon]\nlisten = ["unix:${socket}"]\ndata_dir = "${dir}/data"\n` +
    `catalog = "${bin.catalog}"\nautomatic_sets = true\n\n[[athletes]]\nname = "carol"\n` +
    'exercise = "biceps_curl"\n';
  for (const line of sim.lines.slice(0, 2)) {
    const [, placement, link] = line.split(' ');
    toml += `\n[[athletes.devices]]\nplacement = "${placement}"\ntransport = "serial"\n` +
      `path = "${link}"\nrate_hz = 100\n`;
  }
  fs.writeFileSync(path.join(dir, 'ambid.toml'), toml);
  startProcess('ambid', bin.ambid, ['--config', path.join(dir, 'ambid.toml')], dir);
  const address = `unix:${socket}`;
  const watch = startProcess('watch', bin.watch, ['--connect', address, '--wait-for-server', '20', '--json'], dir);
  const { url } = await startWeb({ dir, address }, '127.0.0.1:0');

  browser = await chromium.launch(chromiumOptions());
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);

  // The daemon names the sensor once it has stood still with the offset (the first set's rest
  // begins about 40 s in; 3 s of it are enough).
  const tile = '.tile[data-athlete="carol"]';
  const seen = await until('the left wrist chip to ask for a check', async () => {
    const got = await chips(page, tile);
    return got.find((c) => /left/i.test(c.name) && c.state === 'check') ? got : null;
  }, 120000, 500);
  const right = seen.find((c) => /right/i.test(c.name));
  assert.ok(right && right.state === 'connected', `the right wrist stays connected: ${JSON.stringify(seen)}`);
  assert.match(seen.find((c) => /left/i.test(c.name)).text, /check/, 'the tile chip says check');
  const named = publishedEvents({ watch }).map((e) => e.event.sensor_status)
    .filter((st) => st && st.values_wrong);
  assert.equal(named.length, 1, `one status names the sensor: ${JSON.stringify(named)}`);
  assert.equal(named[0].side, 'SIDE_LEFT');
  // No verdict from a sensor that reads wrong: the badge holds it (no band, not even a calm
  // green) and names the sensor to check; a cue would be struck through the same way.
  const held = await until('the badge to hold the verdict', () => page.evaluate((sel) => {
    const b = document.querySelector(`${sel} .badge`);
    return b && b.dataset.band === 'held' ? { text: b.textContent, by: b.dataset.heldBy } : null;
  }, tile), 5000, 100);
  assert.equal(held.by, 'Left wrist');
  assert.match(held.text, /Verdict on hold/);
  assert.match(held.text, /check left wrist/);
  assert.doesNotMatch(held.text, /GREEN|AMBER|RED|within normal range/);
  console.log('ok tile: left wrist check, right wrist connected, verdict on hold');
  if (shots) await page.screenshot({ path: path.join(shots, 'sensor-check-tile-landscape.png') });

  // At the set's end its cue comes from the same values: struck through, under the reason.
  const cue = await until('the set-end cue, held', () => page.evaluate((sel) => {
    const c = document.querySelector(`${sel} .cue`);
    return c ? { held: c.dataset.held, text: c.textContent } : null;
  }, tile), 60000, 250);
  assert.equal(cue.held, 'yes', `the cue is held: ${JSON.stringify(cue)}`);
  assert.match(cue.text, /^Not trusted until the left wrist is checked/);
  console.log(`ok tile: cue held (${cue.text})`);
  if (shots) await page.screenshot({ path: path.join(shots, 'sensor-check-cue-landscape.png') });

  // The focus view says what is wrong, in words a coach can act on.
  await page.click(tile);
  await page.setViewportSize({ width: 800, height: 1280 });
  const problem = await until('the focus view to say what is wrong', () => page.evaluate(() => {
    const p = document.querySelector('#focus:not([hidden]) .sensor-problem');
    return p && p.getClientRects().length > 0 ? p.textContent : null;
  }), 5000, 100);
  assert.match(problem, /^Left wrist: gyroscope reads a steady 1[34]\.\d deg\/s while the sensor is still/);
  assert.match(problem, /calibrate the gyroscope/);
  console.log(`ok focus: ${problem}`);
  // The warnings above the figures take room; the portrait focus view still fits the screen:
  // the chart keeps its newest three rows, and the table, scrolling on its own, gives up the
  // rest with its newest row in view.
  const fit = await untilFocusFits(page, 'the portrait focus view to fit the screen');
  console.log(`ok focus: fits the portrait screen beside the warnings ${JSON.stringify(fit)}`);
  // Across the whole portrait width every header of the rep table reads on one line.
  const wrapped = await page.evaluate(() => [...document.querySelectorAll('#focus .reps th')]
    .filter((th) => {
      const range = document.createRange();
      range.selectNodeContents(th);
      return new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size > 1;
    }).map((th) => th.textContent));
  assert.deepEqual(wrapped, [], 'portrait focus: a rep table header wraps');
  if (shots) await page.screenshot({ path: path.join(shots, 'sensor-check-focus-portrait.png') });
  assert.deepEqual(errors, [], 'no console errors');
  passed = true;
} finally {
  if (browser) await browser.close();
  await stopAll();
  if (passed) removeTempDirs();
  else nameTempDirs();
}
