// The live page on several boxes at once, in a real browser (Debian's chromium, playwright-core):
// three `ambid --simulate` (each with athletes alice and bob) and one ambi-web --connect'ed to
// all. The page shows six tiles (one name at two boxes is two athletes), reps at every box,
// each tile's own sensors, no event twice, and all six on a tablet's screen in landscape and
// portrait; the focus view names the box, its report links ask that box, and starting a set
// there goes to that box. A second ambi-web on two of the boxes shows four tiles, which fit too.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumOptions, until } from './web_rig.mjs';

const ambid = process.env.AMBID;
const ambiWeb = process.env.AMBI_WEB;
const shots = process.env.AMBI_SCREENSHOT_DIR;
assert.ok(ambid && ambiWeb, 'AMBID and AMBI_WEB name the programs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ambi-two-boxes-'));
const children = [];
let browser = null;

// Every tile on a tablet's screen without scrolling, in landscape and portrait, each still showing
// its name, its verdict and its newest rep's two numbers, and any chart it keeps with labels of
// 16 px or more; a screenshot of each ('<count>-tiles-').
async function checkFit(page, count) {
  for (const [view, size] of [['landscape', { width: 1280, height: 800 }], ['portrait', { width: 800, height: 1280 }]]) {
    await page.setViewportSize(size);
    const measure = () => page.evaluate(() => ({
      height: window.innerHeight,
      scroll: document.scrollingElement.scrollHeight,
      faults: [...document.querySelectorAll('#tiles .tile')].flatMap((t) => {
        const who = `${t.dataset.athlete}@${t.dataset.box}`;
        const shown = (sel) => [...t.querySelectorAll(sel)].filter((n) => n.getClientRects().length > 0);
        const out = [];
        if (t.getBoundingClientRect().bottom > window.innerHeight + 0.5) out.push(`${who} ends below the screen`);
        for (const sel of ['h2', '.badge', '.big-rom']) if (!shown(sel).length) out.push(`${who} hides ${sel}`);
        // A chart a tile keeps reads from two metres, however many tiles share the screen.
        for (const text of shown('.chart text')) {
          const px = text.getScreenCTM().a * parseFloat(text.getAttribute('font-size'));
          if (px < 16) out.push(`${who}'s chart label '${text.textContent}' is ${px.toFixed(1)} px`);
        }
        return out;
      }),
    }));
    const m = await until(`${view}: ${count} tiles on the screen`, async () => {
      const got = await measure();
      return got.scroll <= got.height && got.faults.length === 0 ? got : null;
    }, 3000, 100).catch(async (e) => { throw new Error(`${e.message}: ${JSON.stringify(await measure())}`); });
    if (shots) await page.screenshot({ path: path.join(shots, `${count}-tiles-${view}.png`) });
    console.log(`ok ${view}: ${count} tiles fit ${m.scroll} <= ${m.height} px`);
  }
}

// An ambi-web --connect'ed to these boxes; resolves to the address it serves.
async function startWeb(boxes) {
  const args = ['--listen', '127.0.0.1:0'];
  for (const box of boxes) args.push('--connect', `${box}=unix:${path.join(dir, box, 'ambid.sock')}`);
  const web = spawn(ambiWeb, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(web);
  let out = '';
  web.stdout.on('data', (d) => { out += d; });
  return until(`ambi-web on ${boxes} to serve`, async () => (out.match(/http:\/\/[^ ]*\//) || [])[0], 20000);
}

try {
  for (const box of ['a', 'b', 'c']) {
    fs.mkdirSync(path.join(dir, box));
    // Each box has a folder of its own as $XDG_RUNTIME_DIR, as boxes on separate machines
    // would (ambid --simulate also keeps its pseudo-terminal links in a folder of its own).
    children.push(spawn(ambid, ['--simulate', '--data-dir', path.join(dir, box), '--listen',
      `unix:${path.join(dir, box, 'ambid.sock')}`],
    { stdio: 'ignore', env: { ...process.env, XDG_RUNTIME_DIR: path.join(dir, box) } }));
  }
  const url = await startWeb(['a', 'b', 'c']);

  browser = await chromium.launch(chromiumOptions());
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  // A second ambi-web on boxes a and b only (four athletes), opened now so that its sets run on
  // while the six tiles are checked.
  const page4 = await browser.newPage();
  page4.on('pageerror', (e) => errors.push(String(e)));
  await page4.goto(await startWeb(['a', 'b']));
  const tileNames = () => page.$$eval('#tiles .tile', (n) => n.map((x) =>
    `${x.getAttribute('data-athlete')}@${x.getAttribute('data-box')}`));
  await until('six tiles', async () => (await tileNames()).length === 6, 60000);
  assert.deepEqual(await tileNames(), ['alice@a', 'alice@b', 'alice@c', 'bob@a', 'bob@b', 'bob@c']);
  console.log('ok six tiles: alice and bob at each box');

  const repsAt = (box) => page.$$eval(`#tiles .tile[data-box="${box}"] .rep`, (n) => n.length);
  await until('reps at every box', async () => (await repsAt('a')) > 0 && (await repsAt('b')) > 0 &&
    (await repsAt('c')) > 0, 90000);
  const sensors = await until('each tile its own sensors', async () => {
    const s = await page.$$eval('#tiles .tile', (n) => n.map((x) => x.querySelectorAll('.sensor[data-sensor]').length));
    return s.every((c) => c === 2) ? s : null;
  }, 20000);
  console.log(`ok reps at every box; sensors per tile ${sensors}`);
  // Six athletes on a 10-inch tablet, a set well under way: every tile on the screen without
  // scrolling, each still showing its name, its verdict and its newest rep's two numbers.
  await until('alice at every box five reps into a set', async () => page.evaluate(() =>
    [...window.ambiPage.athletes.values()].filter((a) => a.name === 'alice' && a.pairs.length >= 5).length === 3), 90000);
  await checkFit(page, 'six');
  // Four athletes (two boxes): the second page, once alice is five reps into a set at both.
  await until('four tiles, alice five reps into a set at both boxes', async () => page4.evaluate(() =>
    document.querySelectorAll('#tiles .tile').length === 4 &&
    [...window.ambiPage.athletes.values()].filter((a) => a.name === 'alice' && a.pairs.length >= 5).length === 2), 90000);
  await checkFit(page4, 'four');
  assert.equal(await page.evaluate(() => window.ambiPage.duplicates), 0, 'no event applied twice');
  assert.equal(await page.$eval('#link', (n) => n.dataset.state), 'live');

  await page.click('#tiles .tile[data-athlete="alice"][data-box="b"]');
  assert.equal(await page.$eval('#focus-name', (n) => n.textContent), 'alice · b');
  const links = await page.$$eval('#focus .report-link', (n) => n.map((x) => x.getAttribute('href')));
  assert.ok(links.length === 2 && links.every((l) => l.includes('box=b')), `report links ask box b: ${links}`);
  await page.click('#start-set');
  const result = await until('the start-set answer', async () => {
    const t = await page.$eval('#control-result', (n) => n.textContent);
    return t && t !== '…' ? t : null;
  }, 30000);  // generous: it crosses ambi-web and ambid, which records the set first
  assert.match(result, /^Set \d+ started$/, 'box b started the set');
  const index = Number(result.match(/\d+/)[0]);
  await until('alice at box b in that set', async () => page.$(
    `#tiles .tile[data-athlete="alice"][data-box="b"] .rep[data-set-index="${index}"], ` +
    `#tiles .tile[data-athlete="alice"][data-box="b"].in-set`), 20000);
  assert.deepEqual(errors, [], 'no page errors');
  console.log(`ok focus on alice at b: links ${links.join(' ')}; ${result}`);

} finally {
  if (browser) await browser.close();
  for (const child of children) child.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
}
