// Thin glue between the page and the Rust core: builds the controls from the schema that Rust
// exports, keeps the URL in step with the state, runs the animation loop, and shows the numbers
// Rust computes. No physics here. Nothing from the URL is inserted as HTML (textContent only).

import init, { Explorer, schema, random_seed, theory_json, simulate_json, bench_kernel, debug_panic } from './pkg/nqm_explorer.js';
import { Pool } from './pool.js';

const $ = (id) => document.getElementById(id);
const URL_DELAY_MS = 120;       // replaceState at most this often while dragging
const READOUT_PERIOD_MS = 250;  // readouts refresh period

function showLoadError(err) {
  const el = $('load-error');
  el.textContent = 'The explorer could not start: its WebAssembly module did not load (' +
    String(err && err.message ? err.message : err) + '). It needs a browser with WebAssembly ' +
    'support, and the page must be served with the file www/pkg/nqm_explorer_bg.wasm (run `make serve`).';
  el.hidden = false;
}

function fmt(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(3);
  return x.toPrecision(4);
}

function fmtMatrix(m) {
  if (!m) return 'none';
  return m.map((row) => row.map((x) => fmt(x).padStart(10)).join(' ')).join('\n');
}

// Standard errors of the entries of a symmetric 2×2 estimate: (Σ₁₁, Σ₁₂, Σ₂₂).
function fmtSe(se) {
  if (!se) return '';
  const p = (x) => (Number.isFinite(x) ? x.toPrecision(2) : '—');
  return `\n± s.e. ${p(se[0][0])}, ${p(se[0][1])}, ${p(se[1][1])}`;
}

class Page {
  constructor(fields) {
    this.fields = fields.filter((f) => f.scope === 'both');
    this.explorer = new Explorer($('plot'), location.search);
    this.inputs = new Map();   // key -> [elements showing the value]
    this.urlTimer = null;
    this.lastReadout = 0;
    this.dragging = false;
    this.frameTimes = [];
    this.frameMax = 0;
    this.dark = matchMedia('(prefers-color-scheme: dark)');
    this.buildControls();
    this.showErrors(JSON.parse(this.explorer.errors()));
    this.syncControls();
    this.writeUrl();
    this.bindButtons();
    this.fitCanvas();
    new ResizeObserver(() => this.fitCanvas()).observe($('plot'));
    window.addEventListener('popstate', () => {
      this.explorer.apply_query(location.search);
      this.showErrors(JSON.parse(this.explorer.errors()));
      this.syncControls();
    });
    this.updateReadouts();
    requestAnimationFrame((t) => this.frame(t));
  }

  buildControls() {
    const form = $('controls');
    form.addEventListener('submit', (e) => e.preventDefault());
    for (const f of this.fields) {
      const row = document.createElement('div');
      row.className = 'control';
      row.dataset.key = f.key;
      const label = document.createElement('label');
      label.textContent = f.unit ? `${f.label} (${f.unit})` : f.label;
      label.title = f.help;
      row.append(label);
      const els = [];
      if (f.kind === 'choice') {
        const sel = document.createElement('select');
        sel.id = label.htmlFor = `ctl-${f.key}`;
        for (const o of f.options) {
          const opt = document.createElement('option');
          opt.value = opt.textContent = o;
          sel.append(opt);
        }
        sel.addEventListener('change', () => this.set(f.key, sel.value, sel));
        row.classList.add('wide');
        row.append(sel);
        els.push(sel);
      } else {
        const slider = (f.max - f.min) / f.step <= 1e5;
        const num = document.createElement('input');
        num.type = 'number';
        Object.assign(num, { min: f.min, max: f.max, step: f.kind === 'int' ? 1 : 'any' });
        num.setAttribute('aria-label', `${f.label} value`);
        num.addEventListener('change', () => this.set(f.key, num.value, num));
        if (slider) {
          const range = document.createElement('input');
          range.type = 'range';
          range.id = label.htmlFor = `ctl-${f.key}`;
          Object.assign(range, { min: f.min, max: f.max, step: f.step });
          range.addEventListener('input', () => { this.dragging = true; this.set(f.key, range.value, range); });
          range.addEventListener('change', () => { this.dragging = false; this.updateReadouts(true); });
          row.append(range, num);
          els.push(range, num);
        } else {
          num.id = label.htmlFor = `ctl-${f.key}`;
          row.classList.add('wide');
          row.append(num);
          els.push(num);
        }
      }
      this.inputs.set(f.key, els);
      form.append(row);
    }
  }

  // Shows every control's value as Rust holds it, and which controls the noise kind uses.
  syncControls() {
    const noise = this.explorer.get('noise');
    for (const f of this.fields) {
      const v = this.explorer.get(f.key);
      for (const el of this.inputs.get(f.key)) {
        el.value = v;
        if (el.type === 'range') el.setAttribute('aria-valuetext', f.unit ? `${v} ${f.unit}` : v);
      }
      const row = $('controls').querySelector(`[data-key="${f.key}"]`);
      row.hidden = !!f.when_noise && !f.when_noise.includes(noise);
    }
  }

  // After a panic the WebAssembly instance cannot be trusted: the next change reloads the page
  // with the state it shows (the URL always holds all of it), plus the change.
  fail(e) {
    if (this.broken) return;
    this.broken = true;
    console.error('nqm-explorer: the simulation stopped:', e);
    const status = $('status');
    status.textContent = 'The simulation stopped on an internal error (details in the browser console). ' +
      'It restarts, with the same settings, on your next change.';
    status.hidden = false;
  }

  recover(key, value) {
    const q = new URLSearchParams(this.lastQuery || location.search);
    if (key) q.set(key, value);
    location.replace(`${location.pathname}?${q.toString()}`);
  }

  set(key, value, source) {
    if (this.broken) {
      this.recover(key, value);
      return;
    }
    let err;
    try {
      err = this.explorer.set(key, value);
    } catch (e) {
      this.fail(e);
      return;
    }
    if (err !== undefined && err !== null) {
      this.showErrors([{ key, message: `${key}: ${err}; kept ${this.explorer.get(key)}` }]);
    } else {
      this.clearErrorFor(key);
    }
    this.syncControls();
    if (source && document.activeElement === source && source.type === 'number') source.select?.();
    this.scheduleUrl();
    this.updateReadouts(!this.dragging);
  }

  showErrors(errors) {
    const box = $('messages');
    this.errors = (this.errors || []).filter((e) => !errors.some((n) => n.key === e.key)).concat(errors);
    box.replaceChildren();
    if (this.errors.length === 0) { box.hidden = true; return; }
    const p = document.createElement('p');
    p.textContent = 'Some values were not accepted:';
    const ul = document.createElement('ul');
    for (const e of this.errors) {
      const li = document.createElement('li');
      li.textContent = e.message;
      li.dataset.key = e.key;
      ul.append(li);
    }
    const close = document.createElement('button');
    close.type = 'button';
    close.textContent = 'Dismiss';
    close.addEventListener('click', () => { this.errors = []; box.hidden = true; });
    box.append(p, ul, close);
    box.hidden = false;
  }

  clearErrorFor(key) {
    if (this.errors?.some((e) => e.key === key)) {
      this.errors = this.errors.filter((e) => e.key !== key);
      this.showErrors([]);
    }
  }

  scheduleUrl() {
    if (this.urlTimer !== null) return;
    this.urlTimer = setTimeout(() => { this.urlTimer = null; this.writeUrl(); }, URL_DELAY_MS);
  }

  writeUrl() {
    if (this.broken) return;
    const q = '?' + this.explorer.query();
    this.lastQuery = q;
    if (q !== location.search) history.replaceState(null, '', q);
  }

  bindButtons() {
    $('reset').addEventListener('click', () => { this.explorer.reset(); this.updateReadouts(true); });
    $('new-seed').addEventListener('click', () => {
      this.set('seed', String(random_seed()));
      this.explorer.reset();
    });
    $('copy-link').addEventListener('click', async () => {
      this.writeUrl();
      const done = $('copy-done');
      try {
        await navigator.clipboard.writeText(location.href);
        done.textContent = 'Link copied.';
      } catch {
        done.textContent = 'Copy failed; the link is in the address bar.';
      }
      setTimeout(() => { done.textContent = ''; }, 3000);
    });
  }

  fitCanvas() {
    const c = $('plot');
    const dpr = window.devicePixelRatio || 1;
    const r = c.getBoundingClientRect();
    const w = Math.max(1, Math.round(r.width * dpr));
    const h = Math.max(1, Math.round(r.height * dpr));
    if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
  }

  updateReadouts(force) {
    const now = performance.now();
    if (!force && now - this.lastReadout < READOUT_PERIOD_MS) return;
    this.lastReadout = now;
    const r = JSON.parse(this.explorer.readouts_json());
    $('ro-sigma_discrete').textContent = r.sigma_discrete ? fmtMatrix(r.sigma_discrete) : 'none: no stationary state';
    $('ro-sigma_continuous').textContent = r.sigma_continuous ? fmtMatrix(r.sigma_continuous) : 'none';
    $('ro-sigma_empirical').textContent = fmtMatrix(r.sigma_empirical) + fmtSe(r.sigma_empirical_se);
    $('ro-loss_discrete').textContent = fmt(r.loss_discrete);
    $('ro-loss_continuous').textContent = fmt(r.loss_continuous);
    $('ro-loss_empirical').textContent = fmt(r.loss_empirical);
    $('ro-spectral_radius').textContent = `${fmt(r.spectral_radius)} (${r.stable ? 'stable: < 1' : 'unstable: ≥ 1'})`;
    $('ro-walkers').textContent = `${r.walkers_alive} live, ${r.diverged} diverged, ${r.steps} steps`;
    const status = $('status');
    const msg = r.message || '';
    if (status.textContent !== msg) status.textContent = msg;
    status.hidden = !msg;
  }

  frame() {
    if (this.broken) return; // no more frames until the page recovers
    const t0 = performance.now();
    try {
      this.explorer.advance();
      this.explorer.draw(window.devicePixelRatio || 1, this.dark.matches);
      this.updateReadouts(false);
    } catch (e) {
      this.fail(e);
      return;
    }
    // The work of the last 600 frames, and the longest since the last reset, for benchmarks.
    const work = performance.now() - t0;
    this.frameMax = Math.max(this.frameMax, work);
    this.frameTimes.push(work);
    if (this.frameTimes.length > 600) this.frameTimes.shift();
    requestAnimationFrame((t) => this.frame(t));
  }
}

// Sweeps: one Monte Carlo point per query, in a worker pool (default) or on the main thread.
class Sweeps {
  constructor() {
    this.pool = null;
    this.mainRun = null;
    $('sweep-where').options[0].textContent = `Web Workers (${navigator.hardwareConcurrency || 2})`;
    $('sweep-run').addEventListener('click', () => this.runFromPage());
    $('sweep-cancel').addEventListener('click', () => this.cancel());
  }

  status(msg) {
    const el = $('worker-status');
    el.textContent = msg;
    el.hidden = !msg;
  }

  ensurePool(size) {
    if (!this.pool || (size && this.pool.size !== size)) {
      this.pool?.cancel('the pool was replaced');
      this.pool?.workers.forEach((w) => w.terminate());
      this.pool = new Pool({ size, onStatus: (m) => this.status(m) });
    }
    return this.pool;
  }

  // Runs `queries`; resolves {results, cancelled, reason, seconds}. A newer call supersedes.
  async run(queries, { where = 'workers', workers, onPoint = () => {}, onProgress = () => {} } = {}) {
    this.cancel('superseded by a newer request');
    if (where === 'main') {
      const run = { cancelled: false, reason: '' };
      this.mainRun = run;
      const start = performance.now();
      const results = new Array(queries.length).fill(null);
      for (let i = 0; i < queries.length && !run.cancelled; i++) {
        await new Promise((r) => setTimeout(r, 0)); // let the page breathe between points
        if (run.cancelled) break;
        results[i] = JSON.parse(simulate_json(queries[i]));
        onPoint(i, results[i]);
        onProgress(i + 1, queries.length);
      }
      if (this.mainRun === run) this.mainRun = null;
      return { results, cancelled: run.cancelled, reason: run.reason, seconds: (performance.now() - start) / 1000 };
    }
    return this.ensurePool(workers).sweep(queries, { onPoint, onProgress });
  }

  cancel(reason = 'cancelled') {
    if (this.mainRun) {
      this.mainRun.cancelled = true;
      this.mainRun.reason = reason;
      this.mainRun = null;
    }
    this.pool?.cancel(reason);
  }

  async runFromPage() {
    const page = window.nqm;
    const p = page.params();
    const t = page.theory(page.query());
    const limit = t.necessary_limit / (t.necessary_value / p.lr);
    const lrs = Array.from({ length: 40 }, (_, i) => (limit * (i + 0.5)) / 40);
    const base = page.query();
    const queries = lrs.map((lr) => `${base}&lr=${lr}&walkers=10000&steps=1000`);
    const body = $('sweep-table').querySelector('tbody');
    body.replaceChildren();
    $('sweep-details').hidden = false;
    $('sweep-details').open = true;
    const rows = lrs.map((lr) => {
      const tr = document.createElement('tr');
      const th = page.theory(`${base}&lr=${lr}`);
      const tr2 = (m) => (m ? m.reduce((s, r, i) => s + r[i], 0) : null);
      for (const text of [fmt(lr), '…', fmt(tr2(th.sigma_discrete)), fmt(tr2(th.sigma_continuous))]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      body.append(tr);
      return tr;
    });
    $('sweep-run').disabled = true;
    $('sweep-cancel').disabled = false;
    $('sweep-status').textContent = 'running…';
    const out = await this.run(queries, {
      where: $('sweep-where').value,
      onPoint: (i, r) => {
        const cell = rows[i].children[1];
        if (!r || r.error || !r.sigma_empirical) {
          cell.textContent = r && r.error ? `error: ${r.error}` : `diverged (${r ? r.diverged : '?'} walkers)`;
          return;
        }
        const tr = r.sigma_empirical.reduce((s, row, k) => s + row[k], 0);
        const se = Math.sqrt(r.sigma_empirical_se.reduce((s, row, k) => s + row[k] * row[k], 0));
        cell.textContent = `${fmt(tr)} ± ${fmt(se)}`;
      },
      onProgress: (done, total) => {
        $('sweep-progress').value = done / total;
      },
    });
    $('sweep-run').disabled = false;
    $('sweep-cancel').disabled = true;
    $('sweep-status').textContent = out.cancelled
      ? `stopped (${out.reason}); the points shown are partial`
      : `done in ${out.seconds.toFixed(2)} s`;
  }
}

async function main() {
  let wasm;
  try {
    wasm = await init();
  } catch (e) {
    showLoadError(e);
    return;
  }
  const page = new Page(JSON.parse(schema()));
  const sweeps = new Sweeps();
  window.nqm = {
    // Monte Carlo points for a list of queries, in workers (default) or on the main thread.
    sweep: (queries, options) => sweeps.run(queries, options),
    cancelSweep: () => sweeps.cancel(),
    simulate: (query) => JSON.parse(simulate_json(String(query))),
    // Walker-steps per second of the 2-D SGD Gaussian kernel in this browser.
    benchmark: async ({ walkers = 10000, steps = 1000 } = {}) => {
      bench_kernel(Math.min(walkers, 1000), 10); // warm up
      const t0 = performance.now();
      bench_kernel(walkers, steps);
      const seconds = (performance.now() - t0) / 1000;
      return { walker_steps_per_second: (walkers * steps) / seconds, seconds };
    },
    pool: () => sweeps.pool,
    frameTimes: () => page.frameTimes.slice(),
    // The longest frame since the last call (then starts again).
    takeFrameMax: () => {
      const m = page.frameMax;
      page.frameMax = 0;
      return m;
    },
    // Memory in use: WebAssembly linear memory and (where the browser reports it) the JS heap.
    memory: () => ({ wasm_bytes: wasm.memory.buffer.byteLength, js_heap_bytes: performance.memory ? performance.memory.usedJSHeapSize : null }),
    // Test hook: a deliberate Rust panic, to exercise recovery.
    debugPanic: () => {
      try {
        debug_panic();
      } catch (e) {
        page.fail(e);
      }
    },
    params: () => JSON.parse(page.explorer.params_json()),
    readouts: () => JSON.parse(page.explorer.readouts_json()),
    query: () => page.explorer.query(),
    // Every theoretical result for any query, as `nqm theory` prints it.
    theory: (query) => JSON.parse(theory_json(String(query))),
  };
  document.documentElement.dataset.ready = '1';
}

main();
