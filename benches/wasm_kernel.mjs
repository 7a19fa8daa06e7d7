// The WebAssembly kernel alone, for comparing builds on a busy machine: walker-steps per
// CPU-second (and per wall-clock second) of `bench_kernel(10000, 1000)` — the kernel of
// `window.nqm.benchmark` — for each of several wasm-bindgen output directories, run in
// alternation.
//
//   node benches/wasm_kernel.mjs [--chromium] [--rounds N] DIR...
//
// DIR holds `nqm_explorer.js` and `nqm_explorer_bg.wasm` (`make wasm` writes `www/pkg`; build
// `main` in a temporary checkout for a baseline). Without --chromium the kernel runs in Node's V8
// and the CPU time is the process's; with it, in headless Chromium (tests/browser's
// playwright-core) and the CPU time is that of every process under this one, read from /proc.
// Prints the median and range per directory.

import { readFileSync } from 'node:fs';
import { treeCpu } from './tree_cpu.mjs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const chromium = args.includes('--chromium');
const ri = args.indexOf('--rounds');
const rounds = ri >= 0 ? Number(args[ri + 1]) : 7;
const dirs = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--rounds').map((d) => path.resolve(d));
if (dirs.length === 0) throw new Error('usage: node benches/wasm_kernel.mjs [--chromium] [--rounds N] DIR...');
const WALKERS = 10000;
const STEPS = 1000;
const REPS = chromium ? 4 : 1; // calls per measurement (CPU ticks from /proc are 10 ms)


const runners = [];
let browser;
let server;
if (chromium) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const { chromium: pw } = await import(path.join(root, 'tests/browser/node_modules/playwright-core/index.mjs'));
  const page = `<!doctype html><script type="module">
    const m = await import(location.pathname.replace(/index\\.html$/, 'nqm_explorer.js'));
    await m.default();
    window.run = (w, s, reps) => { m.bench_kernel(Math.min(w, 1000), 10); let t = 0, sum = 0;
      for (let i = 0; i < reps; i++) { const t0 = performance.now(); sum = m.bench_kernel(w, s); t += performance.now() - t0; }
      return { seconds: t / 1000, sum }; };
    window.ready = true;</script>`;
  server = createServer((req, res) => {
    const [, k, file] = /^\/(\d+)\/(.*)$/.exec(req.url) ?? [];
    if (k === undefined) return res.writeHead(404).end();
    if (file === 'index.html') return res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    try {
      const body = readFileSync(path.join(dirs[Number(k)], path.basename(file)));
      const type = file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
      res.writeHead(200, { 'content-type': type }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  browser = await pw.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  for (let k = 0; k < dirs.length; k++) {
    const p = await (await browser.newContext()).newPage();
    await p.goto(`http://127.0.0.1:${server.address().port}/${k}/index.html`);
    await p.waitForFunction(() => window.ready);
    runners.push(() => p.evaluate(([w, s, r]) => window.run(w, s, r), [WALKERS, STEPS, REPS]));
  }
} else {
  for (const d of dirs) {
    const m = await import(path.join(d, 'nqm_explorer.js'));
    m.initSync({ module: readFileSync(path.join(d, 'nqm_explorer_bg.wasm')) });
    m.bench_kernel(1000, 10);
    m.bench_kernel(1000, 10);
    runners.push(async () => {
      const t0 = performance.now();
      const sum = m.bench_kernel(WALKERS, STEPS);
      return { seconds: (performance.now() - t0) / 1000, sum };
    });
  }
}

const cpuRates = dirs.map(() => []);
const wallRates = dirs.map(() => []);
const sums = [];
for (const run of runners) await run(); // warm up: V8 compiles the kernel's optimised code
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < dirs.length; k++) {
    const c0 = chromium ? treeCpu() : process.cpuUsage();
    const { seconds, sum } = await runners[k]();
    const cpu = chromium ? treeCpu() - c0 : ((u) => (u.user + u.system) / 1e6)(process.cpuUsage(c0));
    cpuRates[k].push((REPS * WALKERS * STEPS) / cpu);
    wallRates[k].push((REPS * WALKERS * STEPS) / seconds);
    sums[k] = sum;
  }
}
await browser?.close();
server?.close();

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const fmt = (a) => `${median(a).toExponential(2)} (${Math.min(...a).toExponential(2)}–${Math.max(...a).toExponential(2)})`;
for (let k = 0; k < dirs.length; k++) {
  console.log(`${dirs[k]}\n  per CPU-second ${fmt(cpuRates[k])}\n  per second     ${fmt(wallRates[k])}\n  checksum ${sums[k]}`);
}
