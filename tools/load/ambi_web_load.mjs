#!/usr/bin/env node
// ambi-web under load: N browsers (SSE clients) on ambi-web while ambid runs the demo athletes.
// A benchmark, not a test: it prints what it measured.
//
// Measured per event and client: the client's receive time minus the time ambi-web had the
// event from gRPC (web_received_unix_ns, stamped by ambi-web when the LiveEvent arrived), i.e.
// the latency ambi-web adds (hub, queue, socket write) plus this client's own read. Also
// ambi-web's CPU (utime+stime from /proc) and resident memory over the window. The whole path
// is measured too, from the events' own stamps: the sample's arrival at ambid
// (trigger_arrival_unix_ns) and ambid's publication (published_unix_ns) to this client.
//
// usage: ambi_web_load.mjs (--ambid PATH | --connect ADDR) --web PATH [--clients 50]
//                          [--duration-s 60] [--warmup-s 10] [--json]
// With --ambid it starts `ambid --simulate` (alice and bob, 4 sensors at 100 Hz, looping sets);
// with --connect it attaches to an ambid already running (e.g. the one `ambi-load --work-dir D`
// runs: --connect unix:D/ambid.sock). ambi-web runs on a free loopback port in a temporary
// directory; whatever this tool started is stopped at the end.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';

function parseArgs(argv) {
  const args = { clients: 50, durationS: 60, warmupS: 10, json: false };
  for (let i = 2; i < argv.length; i += 1) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--ambid') args.ambid = next();
    else if (a === '--connect') args.connect = next();
    else if (a === '--web') args.web = next();
    else if (a === '--clients') args.clients = Number(next());
    else if (a === '--duration-s') args.durationS = Number(next());
    else if (a === '--warmup-s') args.warmupS = Number(next());
    else if (a === '--json') args.json = true;
    else if (a === '--help') {
      console.log('usage: ambi_web_load.mjs (--ambid PATH | --connect ADDR) --web PATH [--clients N] [--duration-s S] [--warmup-s S] [--json]');
      process.exit(0);
    } else {
      console.error(`ambi_web_load: unknown argument '${a}' (see --help)`);
      process.exit(2);
    }
  }
  if (!args.web || !args.ambid === !args.connect) {
    console.error('ambi_web_load: --web and one of --ambid or --connect are required');
    process.exit(2);
  }
  return args;
}

const nowUnixNs = () => (performance.timeOrigin + performance.now()) * 1e6;

function procStats(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const rss = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { ticks, rssKiB: rss ? Number(rss[1]) : 0 };
}

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const args = parseArgs(process.argv);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ambi-web-load-'));
  const socket = args.connect || `unix:${dir}/ambid.sock`;
  const ambid = args.connect ? null : spawn(args.ambid,
    ['--simulate', '--data-dir', `${dir}/data`, '--listen', socket],
    { stdio: ['ignore', 'ignore', fs.openSync(`${dir}/ambid.log`, 'w')] });
  // Room for every client (the defaults suit a coach's tablets, not a benchmark).
  fs.writeFileSync(`${dir}/web.toml`, `max_browsers = ${args.clients + 8}\nmax_connections = ${2 * args.clients + 16}\n`);
  const web = spawn(args.web, ['--config', `${dir}/web.toml`, '--listen', '127.0.0.1:0', '--connect', socket],
    { stdio: ['ignore', 'pipe', fs.openSync(`${dir}/web.log`, 'w')] });
  const stop = () => {
    web.kill('SIGTERM');
    if (ambid) ambid.kill('SIGTERM');
  };
  process.on('SIGINT', () => { stop(); process.exit(1); });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('ambi-web did not start')), 20000);
    readline.createInterface({ input: web.stdout }).on('line', (line) => {
      const m = /serving http:\/\/[^ ]*:(\d+)\//.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });

  let measuring = false;
  const latenciesMs = [];
  const arrivalMs = []; // sample arrival at ambid -> this client
  const publishedMs = []; // ambid's publication -> this client
  const perClient = new Array(args.clients).fill(0);
  let ended = 0;
  const requests = [];
  for (let c = 0; c < args.clients; c += 1) {
    const req = http.get({ host: '127.0.0.1', port, path: '/events' }, (res) => {
      if (res.statusCode !== 200) {
        console.error(`client ${c}: HTTP ${res.statusCode}`);
        ended += 1;
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk) => {
        const received = nowUnixNs();
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (!data || !frame.startsWith('id: ')) continue;
          const stamp = /"web_received_unix_ns":"(\d+)"/.exec(data);
          if (!stamp || !measuring) continue;
          latenciesMs.push((received - Number(stamp[1])) / 1e6);
          const arrival = /"trigger_arrival_unix_ns":"(\d+)"/.exec(data);
          if (arrival && arrival[1] !== '0') arrivalMs.push((received - Number(arrival[1])) / 1e6);
          const published = /"published_unix_ns":"(\d+)"/.exec(data);
          if (published) publishedMs.push((received - Number(published[1])) / 1e6);
          perClient[c] += 1;
        }
      });
      res.on('end', () => { ended += 1; });
    });
    req.on('error', () => { ended += 1; });
    requests.push(req);
  }

  await new Promise((r) => setTimeout(r, args.warmupS * 1000));
  measuring = true;
  const start = procStats(web.pid);
  const rss = [start.rssKiB];
  const t0 = performance.now();
  const sampler = setInterval(() => rss.push(procStats(web.pid).rssKiB), 1000);
  await new Promise((r) => setTimeout(r, args.durationS * 1000));
  measuring = false;
  clearInterval(sampler);
  const finish = procStats(web.pid);
  const wallS = (performance.now() - t0) / 1000;
  const clkTck = 100; // Linux USER_HZ
  const cpuPct = (100 * (finish.ticks - start.ticks)) / clkTck / wallS;
  for (const r of requests) r.destroy();
  stop();

  latenciesMs.sort((a, b) => a - b);
  arrivalMs.sort((a, b) => a - b);
  publishedMs.sort((a, b) => a - b);
  const summary = (sorted) => ({
    count: sorted.length,
    p50: Number(percentile(sorted, 50).toFixed(3)),
    p90: Number(percentile(sorted, 90).toFixed(3)),
    p99: Number(percentile(sorted, 99).toFixed(3)),
    max: Number((sorted[sorted.length - 1] || NaN).toFixed(3)),
  });
  const result = {
    clients: args.clients,
    window_s: Number(wallS.toFixed(1)),
    deliveries: latenciesMs.length,
    clients_dropped_or_failed: ended,
    events_per_client_min: Math.min(...perClient),
    events_per_client_max: Math.max(...perClient),
    added_latency_ms: {
      p50: Number(percentile(latenciesMs, 50).toFixed(3)),
      p90: Number(percentile(latenciesMs, 90).toFixed(3)),
      p99: Number(percentile(latenciesMs, 99).toFixed(3)),
      max: Number((latenciesMs[latenciesMs.length - 1] || NaN).toFixed(3)),
    },
    arrival_to_browser_ms: summary(arrivalMs),
    published_to_browser_ms: summary(publishedMs),
    web_cpu_pct_of_core: Number(cpuPct.toFixed(2)),
    web_rss_kib: { start: start.rssKiB, end: finish.rssKiB, max: Math.max(...rss) },
    loadavg: fs.readFileSync('/proc/loadavg', 'utf8').trim(),
  };
  if (args.json) {
    console.log(JSON.stringify(result));
  } else {
    const load = args.connect ? `ambid at ${args.connect}` : 'demo load: ambid --simulate';
    console.log(`ambi-web under ${result.clients} SSE clients, ${result.window_s} s window (${load})`);
    console.log(`  deliveries ${result.deliveries} (per client ${result.events_per_client_min}-${result.events_per_client_max}), clients lost ${result.clients_dropped_or_failed}`);
    const l = result.added_latency_ms;
    console.log(`  gRPC event -> SSE client: p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, max ${l.max} ms (aim p99 < 20 ms)`);
    const a = result.arrival_to_browser_ms;
    console.log(`  sample arrival at ambid -> SSE client: p50 ${a.p50} ms, p90 ${a.p90} ms, p99 ${a.p99} ms, max ${a.max} ms (${a.count} deliveries)`);
    const p = result.published_to_browser_ms;
    console.log(`  published by ambid -> SSE client: p50 ${p.p50} ms, p99 ${p.p99} ms`);
    console.log(`  ambi-web CPU ${result.web_cpu_pct_of_core} % of a core, RSS ${result.web_rss_kib.start} -> ${result.web_rss_kib.end} KiB (max ${result.web_rss_kib.max})`);
    console.log(`  /proc/loadavg: ${result.loadavg}`);
  }
  setTimeout(() => process.exit(0), 500);
}

main().catch((e) => {
  console.error('ambi_web_load:', e.message);
  process.exit(1);
});
