// Starts the real programs behind the live page for browser tests: ambi-sim-pty (simulated
// sensors on pseudo-terminals: alice curls with 12 % less left range, bob leg extensions),
// ambid reading them through its serial path, ambi-web, and ambi-watch --json as the record of
// what the daemon published. Paths come from the environment (set by ctest).
import { spawn } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

export const bin = {
  ambid: process.env.AMBID,
  web: process.env.AMBI_WEB,
  simPty: process.env.AMBI_SIM_PTY,
  watch: process.env.AMBI_WATCH,
  catalog: process.env.AMBI_CATALOG,
};

const children = [];
const tempDirs = [];

// A fresh directory for a test's files and logs. A passing test removes it (removeTempDirs); a
// failing one leaves it for its logs to be read, and names it.
export function makeTempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs() {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export function nameTempDirs() {
  for (const dir of tempDirs) console.error(`the failed run's files are kept in ${dir}`);
}

export function startProcess(name, file, args, dir) {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = fs.createWriteStream(path.join(dir, `${name}.log`));
  child.stderr.pipe(log);
  child.lines = [];
  child.waiters = [];
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    child.lines.push(line);
    log.write(`${line}\n`);
    for (const w of [...child.waiters]) w();
  });
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.label = name;
  children.push(child);
  return child;
}

// Resolves with the first stdout line matching 're' (or rejects after 'timeoutMs').
export function waitForLine(child, re, timeoutMs = 20000) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const line = child.lines.find((l) => re.test(l));
      if (line) {
        clearTimeout(timer);
        child.waiters = child.waiters.filter((w) => w !== check);
        resolve(line);
      }
    };
    const timer = setTimeout(() => reject(new Error(`${child.label}: no line matching ${re} in ${timeoutMs} ms`)), timeoutMs);
    child.waiters.push(check);
    check();
  });
}

export async function stopAll() {
  for (const child of children.reverse()) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([child.exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

export async function startRig({ setEndRestS = 6 } = {}) {
  for (const [k, v] of Object.entries(bin)) {
    if (!v || !fs.existsSync(v)) throw new Error(`missing program ${k}: '${v}' (run through ctest)`);
  }
  const dir = makeTempDir('ambi-web-test-');
  fs.mkdirSync(path.join(dir, 'links'));
  const sim = startProcess('sim', bin.simPty, ['--link-dir', path.join(dir, 'links')], dir);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('ambi-sim-pty listed no devices')), 20000);
    const check = () => {
      if (sim.lines.length >= 4) {
        clearTimeout(timer);
        resolve();
      }
    };
    sim.waiters.push(check);
    check();
  });
  const devices = sim.lines.slice(0, 4).map((line) => {
    const [athlete, placement, link] = line.split(' ');
    return { athlete, placement, link };
  });
  const socket = path.join(dir, 'ambid.sock');
  const exercises = { alice: 'biceps_curl', bob: 'leg_extension' };
  let toml = `[daemon]\nlisten = ["unix:${socket}"]\ndata_dir = "${dir}/data"\n` +
    `catalog = "${bin.catalog}"\nautomatic_sets = true\nset_end_rest_s = ${setEndRestS}\n`;
  for (const name of ['alice', 'bob']) {
    toml += `\n[[athletes]]\nname = "${name}"\nexercise = "${exercises[name]}"\n`;
    for (const d of devices.filter((x) => x.athlete === name)) {
      toml += `\n[[athletes.devices]]\nplacement = "${d.placement}"\ntransport = "serial"\n` +
        `path = "${d.link}"\nrate_hz = 100\n`;
    }
  }
  fs.writeFileSync(path.join(dir, 'ambid.toml'), toml);
  const ambid = startProcess('ambid', bin.ambid, ['--config', path.join(dir, 'ambid.toml')], dir);
  const address = `unix:${socket}`;
  const watch = startProcess('watch', bin.watch, ['--connect', address, '--wait-for-server', '20', '--json'], dir);
  return { dir, sim, ambid, watch, address, devices };
}

// Starts ambi-web on 'listen' and resolves with it and its URL.
export async function startWeb(rig, listen, name = 'web') {
  const web = startProcess(name, bin.web, ['--listen', listen, '--connect', rig.address], rig.dir);
  const line = await waitForLine(web, /serving http/);
  const port = Number(/:(\d+)\//.exec(line)[1]);
  return { web, port, url: `http://127.0.0.1:${port}/` };
}

// The daemon's events so far, as ambi-watch printed them.
export function publishedEvents(rig) {
  return rig.watch.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

export function chromiumOptions(userDataDir) {
  return {
    executablePath: process.env.AMBI_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  };
}

export async function until(what, fn, timeoutMs = 30000, stepMs = 200) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

// How the open focus view fits the screen: the bottom of its figures against the window's
// height, its chart's rows and the earlier rows it counts, the rows of its table and whether the
// newest is in view and none is cut by its header, the lowest chart bar, and whether set
// 'setIndex' is the one summarised.
function measureFocus(page, setIndex = 0) {
  return page.evaluate((set) => {
    const focus = document.getElementById('focus');
    const bars = [...focus.querySelectorAll('.focus-chart .rep')];
    const earlier = focus.querySelector('.focus-chart .earlier');
    const table = focus.querySelector('.reps-scroll');
    const rows = [...focus.querySelectorAll('.reps tr')].map((r) => r.getBoundingClientRect());
    const lastRow = rows[rows.length - 1];
    const shown = table && table.getBoundingClientRect();
    // The header's cells stick to the top of the scrolled table; its row does not.
    const head = focus.querySelector('.reps th');
    const headBottom = head ? head.getBoundingClientRect().bottom : 0;
    return {
      figuresBottom: Math.round(document.getElementById('focus-body').getBoundingClientRect().bottom),
      inner: window.innerHeight,
      rows: focus.querySelectorAll('.focus-chart .chart-label').length,
      earlier: earlier ? Number(earlier.dataset.rows) : 0,
      tableRows: rows.length - 1,
      newestBar: Math.round(Math.max(0, ...bars.map((b) => b.getBoundingClientRect().bottom))),
      newestRowShown: !!lastRow && !!table && lastRow.bottom <= shown.bottom + 1,
      // A row in view whose top the sticky header hides.
      rowCut: !!shown && rows.slice(1).some((r) => r.top < headBottom - 1 && r.bottom > headBottom + 1),
      thisSet: !!focus.querySelector(`.summary[data-set-index="${set}"]`),
    };
  }, setIndex);
}

// A whole set's figures on the screen: the chart's newest rows (at least three), an "earlier"
// line counting the rest, and the table's newest rows in view, whole.
function focusFits(m) {
  return m.figuresBottom <= m.inner + 1 && m.newestBar <= m.inner && m.newestRowShown && !m.rowCut &&
    m.rows + m.earlier === m.tableRows && m.rows >= Math.min(3, m.tableRows);
}

// Waits for the open focus view to fit the screen (focusFits) and returns its measure; the error
// names 'what' and the last measure.
export function untilFocusFits(page, what, setIndex = 0) {
  return until(what, async () => {
    const m = await measureFocus(page, setIndex);
    return focusFits(m) ? m : null;
  }, 5000, 100).catch(async (e) => {
    throw new Error(`${e.message}: ${JSON.stringify(await measureFocus(page, setIndex))}`);
  });
}

// A TCP relay in front of ambi-web whose connections the test can cut, as a flaky Wi-Fi would:
// cut() destroys every open connection; new ones go through again.
export async function startRelay(targetPort) {
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    cut() {
      const open = [...sockets];
      for (const s of open) s.destroy();
      return open.length;
    },
    close() { server.close(); this.cut(); },
  };
}
