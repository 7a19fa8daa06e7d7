// Thin glue between the page and the Rust core: routes `?panel=…` to a view, builds the landing
// list, runs Monte Carlo jobs in the worker pool, exports figures, talks to an embedding page,
// and offers the scripting API `window.nqm`. No physics here. Nothing from the URL is inserted
// as HTML (textContent only); the only markup inserted is the panels' own captions.

import init, { schema, panels_json, panel_of, theory_json, simulate_json, bench_kernel, debug_panic, draw_thumbnail } from './pkg/nqm_explorer.js';
import { Pool } from './pool.js';
import { $ } from './controls.js';
import { LiveView, FigureView } from './views.js';
import { exportFigure, download } from './export.js';
import { listen as listenToParent } from './embed.js';
import { showVersion, registerServiceWorker, pauseWhenHidden } from './site.js';

function showLoadError(err) {
  const el = $('load-error');
  el.textContent = 'The explorer could not start: its WebAssembly module did not load (' +
    String(err && err.message ? err.message : err) + '). It needs a browser with WebAssembly ' +
    'support, and the page must be served with the file www/pkg/nqm_explorer_bg.wasm (run `make serve`).';
  el.hidden = false;
}

// Monte Carlo jobs: in a worker pool (default) or on the main thread, a newer run superseding
// an older one.
class Sweeps {
  constructor(onStatus) {
    this.pool = null;
    this.mainRun = null;
    this.onStatus = onStatus;
  }

  ensurePool(size) {
    if (!this.pool || (size && this.pool.size !== size)) {
      this.pool?.cancel('the pool was replaced');
      this.pool?.workers.forEach((w) => w.terminate());
      this.pool = new Pool({ size, onStatus: this.onStatus });
    }
    return this.pool;
  }

  // Runs `items` (query strings for `simulate`, panel jobs {panel, key, plan, job, here} or a
  // heavy panel's plan {planQuery, here}: `here()` runs it on this thread); resolves
  // {results, cancelled, reason, seconds}.
  async run(items, { where = 'workers', workers, onPoint = () => {}, onProgress = () => {} } = {}) {
    this.cancel('superseded by a newer request');
    if (where === 'main') {
      const run = { cancelled: false, reason: '' };
      this.mainRun = run;
      const start = performance.now();
      const results = new Array(items.length).fill(null);
      for (let i = 0; i < items.length && !run.cancelled; i++) {
        await new Promise((r) => setTimeout(r, 0)); // let the page breathe between points
        if (run.cancelled) break;
        const item = items[i];
        try {
          results[i] = typeof item === 'string' ? JSON.parse(simulate_json(item)) : item.here();
        } catch (e) {
          results[i] = { error: String(e && e.message ? e.message : e) };
        }
        onPoint(i, results[i]);
        onProgress(i + 1, items.length);
      }
      if (this.mainRun === run) this.mainRun = null;
      return { results, cancelled: run.cancelled, reason: run.reason, seconds: (performance.now() - start) / 1000 };
    }
    return this.ensurePool(workers).sweep(items, { onPoint, onProgress });
  }

  cancel(reason = 'cancelled') {
    if (this.mainRun) {
      this.mainRun.cancelled = true;
      this.mainRun.reason = reason;
      this.mainRun = null;
    }
    this.pool?.cancel(reason);
  }
}

// Presentation-only URL keys (not part of a panel's state): embed mode, its controls, and the
// origin an embedding page's messages must come from.
const EMBED_KEYS = ['embed', 'controls', 'origin'];

class App {
  constructor(wasm) {
    this.wasm = wasm;
    this.fields = JSON.parse(schema());
    this.specs = JSON.parse(panels_json());
    this.dark = matchMedia('(prefers-color-scheme: dark)');
    this.reducedMotion = matchMedia('(prefers-reduced-motion: reduce)');
    this.view = null;
    this.broken = false;
    const q = new URLSearchParams(location.search);
    const controls = q.get('controls');
    this.embed = {
      on: q.get('embed') === '1',
      controls: controls ? controls.split(',').map((s) => s.trim()).filter(Boolean) : null,
      origin: q.get('origin'),
    };
    document.body.classList.toggle('embed', this.embed.on);
    this.sweeps = new Sweeps((m) => { const el = $('worker-status'); el.textContent = m; el.hidden = !m; });
    $('run-where').options[0].textContent = `Web Workers (${navigator.hardwareConcurrency || 2})`;
    this.buildNav();
    this.bindButtons();
    this.fitCanvas();
    new ResizeObserver(() => { if (this.fitCanvas()) this.view?.redraw(); }).observe($('plot'));
    this.dark.addEventListener('change', () => { this.view?.redraw(); this.drawThumbnails(); });
    window.addEventListener('popstate', () => this.route());
    listenToParent(this);
    pauseWhenHidden(this);
    this.route();
  }

  // The URL for a panel query, keeping the embed keys.
  urlFor(query) {
    const keep = new URLSearchParams(location.search);
    let extra = '';
    for (const k of EMBED_KEYS) if (keep.has(k)) extra += `&${k}=${encodeURIComponent(keep.get(k))}`;
    return `${location.pathname}?${query}${extra}`;
  }

  buildNav() {
    const sel = $('panel-select');
    const home = document.createElement('option');
    home.value = '';
    home.textContent = 'all panels';
    sel.append(home);
    for (const s of this.specs) {
      const o = document.createElement('option');
      o.value = s.name;
      o.textContent = s.title;
      sel.append(o);
    }
    sel.addEventListener('change', () => this.navigate(sel.value ? `?panel=${sel.value}` : location.pathname));
    const list = $('panel-list');
    for (const s of this.specs) {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = `?panel=${s.name}`;
      a.addEventListener('click', (e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        this.navigate(a.getAttribute('href'));
      });
      const canvas = document.createElement('canvas');
      canvas.className = 'thumb';
      canvas.dataset.panel = s.name;
      canvas.setAttribute('aria-hidden', 'true');
      const title = document.createElement('strong');
      title.textContent = s.title;
      const claim = document.createElement('span');
      claim.className = 'claim';
      claim.textContent = s.claim;
      const src = document.createElement('span');
      src.className = 'src';
      src.textContent = s.source;
      a.append(canvas, title, claim, src);
      li.append(a);
      list.append(li);
    }
  }

  drawThumbnails() {
    if ($('landing').hidden) return;
    const dpr = window.devicePixelRatio || 1;
    for (const c of document.querySelectorAll('canvas.thumb')) {
      const r = c.getBoundingClientRect();
      c.width = Math.max(1, Math.round(r.width * dpr));
      c.height = Math.max(1, Math.round(r.height * dpr));
      try {
        draw_thumbnail(c, c.dataset.panel, 0.5 * dpr, this.dark.matches);
      } catch (e) {
        console.error(`thumbnail of ${c.dataset.panel}:`, e);
      }
    }
  }

  navigate(url) {
    history.pushState(null, '', url);
    this.route();
  }

  // Shows what the URL says: the landing list (no query), or a panel.
  route() {
    const q = new URLSearchParams(location.search);
    const landing = !this.embed.on && [...q.keys()].filter((k) => !EMBED_KEYS.includes(k)).length === 0;
    $('landing').hidden = !landing;
    $('view').hidden = landing;
    if (landing) {
      this.view?.destroy();
      this.view = null;
      $('panel-select').value = '';
      document.title = 'nqm-explorer — SGD fluctuations at finite learning rate';
      this.drawThumbnails();
      this.stateChanged();
      return;
    }
    const name = panel_of(location.search);
    $('panel-select').value = name;
    if (this.view && this.view.spec.name === name && !this.broken) {
      $('step-notice').textContent = '';
      this.view.applyQuery(location.search);
      return;
    }
    this.view?.destroy();
    const spec = this.specs.find((s) => s.name === name);
    document.title = `${spec.title} — nqm-explorer`;
    const live = spec.live;
    for (const id of ['reset']) $(id).hidden = !live;
    $('progress-row').hidden = live;
    $('run-where-row').hidden = live;
    $('open-full').hidden = !this.embed.on;
    this.fitCanvas();
    this.view = live ? new LiveView(this, spec) : new FigureView(this, spec);
    this.stateChanged();
  }

  // Called whenever the URL changes: the "open in explorer" link and the embed snippet follow.
  stateChanged() {
    if (this.embed.on && this.view) {
      $('open-full').href = `${location.pathname}?${this.view.query()}`;
    }
    if (!$('embed-box').hidden) this.updateEmbed();
  }

  // After a panic: reload with the state the URL holds, plus the change that was asked for.
  recover(key, value) {
    const q = new URLSearchParams(this.view?.lastUrl?.split('?')[1] || location.search);
    if (key) q.set(key, value);
    location.replace(`${location.pathname}?${q.toString()}`);
  }

  announce(text) {
    const el = $('announce');
    if (el.textContent !== text) el.textContent = text;
  }

  fitCanvas() {
    const c = $('plot');
    const dpr = window.devicePixelRatio || 1;
    const r = c.getBoundingClientRect();
    const w = Math.max(1, Math.round(r.width * dpr));
    const h = Math.max(1, Math.round(r.height * dpr));
    if (c.width !== w || c.height !== h) {
      c.width = w;
      c.height = h;
      return true;
    }
    return false;
  }

  embedSnippet() {
    const controls = $('embed-controls').value.split(',').map((s) => s.trim()).filter(Boolean);
    const w = Math.min(2000, Math.max(320, Number($('embed-width').value) || 640));
    const h = Math.min(2000, Math.max(240, Number($('embed-height').value) || 480));
    const base = new URL(location.pathname, location.href).href;
    let src = `${base}?${this.view.query()}&embed=1`;
    if (controls.length) src += `&controls=${controls.map(encodeURIComponent).join(',')}`;
    const title = `nqm-explorer: ${this.view.spec.title}`.replace(/"/g, '&quot;');
    return `<iframe src="${src.replace(/&/g, '&amp;')}" width="${w}" height="${h}" title="${title}" style="border:0" loading="lazy"></iframe>`;
  }

  updateEmbed() {
    if (this.view) $('embed-code').value = this.embedSnippet();
  }

  bindButtons() {
    $('reset').addEventListener('click', () => this.view?.reset?.());
    $('new-seed').addEventListener('click', () => this.view?.newSeed());
    $('cancel').addEventListener('click', () => this.view?.cancel?.());
    $('copy-link').addEventListener('click', async () => {
      this.view?.writeUrl();
      const done = $('copy-done');
      try {
        await navigator.clipboard.writeText(location.href);
        done.textContent = 'Link copied.';
      } catch {
        done.textContent = 'Copy failed; the link is in the address bar.';
      }
      setTimeout(() => { done.textContent = ''; }, 3000);
    });
    $('embed-button').addEventListener('click', () => {
      const box = $('embed-box');
      box.hidden = !box.hidden;
      $('embed-button').setAttribute('aria-expanded', String(!box.hidden));
      if (!box.hidden) {
        if (!$('embed-controls').value) $('embed-controls').value = this.view.spec.keys.filter((k) => k !== 'seed').slice(0, 3).join(',');
        this.updateEmbed();
      }
    });
    for (const id of ['embed-controls', 'embed-width', 'embed-height']) $(id).addEventListener('input', () => this.updateEmbed());
    $('embed-copy').addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText($('embed-code').value);
        $('copy-done').textContent = 'HTML copied.';
      } catch {
        $('embed-code').select();
        $('copy-done').textContent = 'Copy failed; the HTML is selected.';
      }
    });
    for (const b of document.querySelectorAll('[data-export]')) {
      b.addEventListener('click', async () => {
        const size = $('png-size').value;
        const opts = size === 'screen' ? {} : { width: Number(size.split('x')[0]), height: Number(size.split('x')[1]) };
        const out = await exportFigure(this.view, b.dataset.export, opts);
        download(out, `${this.view.spec.name}.${b.dataset.export}`);
      });
    }
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
  const app = new App(wasm);
  const view = () => app.view;
  window.nqm = {
    // The panel shown ('' on the landing view), and navigation to a query (pushState).
    panel: () => view()?.spec.name ?? '',
    panels: () => app.specs.map((s) => s.name),
    navigate: (query) => app.navigate(`?${String(query).replace(/^\?/, '')}`),
    params: () => JSON.parse(view().handle.params_json()),
    // The numbers beside the plot; `complete` is true once every Monte Carlo point has finished.
    readouts: () => view().readouts(),
    query: () => view().query(),
    set: (key, value) => view().set(String(key), String(value)),
    figure: () => JSON.parse(view().handle.figure_json()),
    // The measured spectrum in use (null: the power law), as the "Your spectrum" box shows it.
    spectrum: () => JSON.parse(view().handle.spectrum_json()),
    // An export as {mime, text} (SVG, CSV, JSON) or {mime, blob, width, height} (PNG).
    export: (format, options) => exportFigure(view(), format, options),
    // Every theoretical result for any query, as `nqm theory` prints it.
    theory: (query) => JSON.parse(theory_json(String(query))),
    simulate: (query) => JSON.parse(simulate_json(String(query))),
    // Monte Carlo for a list of queries, in workers (default) or on the main thread.
    sweep: (queries, options) => app.sweeps.run(queries, options),
    cancelSweep: () => app.sweeps.cancel(),
    pool: () => app.sweeps.pool,
    // Walker-steps per second of the 2-D SGD Gaussian kernel in this browser.
    benchmark: async ({ walkers = 10000, steps = 1000 } = {}) => {
      bench_kernel(Math.min(walkers, 1000), 10); // warm up
      const t0 = performance.now();
      bench_kernel(walkers, steps);
      const seconds = (performance.now() - t0) / 1000;
      return { walker_steps_per_second: (walkers * steps) / seconds, seconds };
    },
    frameTimes: () => view()?.frameTimes.slice() ?? [],
    // The longest frame since the last call (then starts again).
    takeFrameMax: () => {
      const v = view();
      if (!v) return 0;
      const m = v.frameMax;
      v.frameMax = 0;
      return m;
    },
    // Memory in use: WebAssembly linear memory and (where the browser reports it) the JS heap.
    memory: () => ({ wasm_bytes: wasm.memory.buffer.byteLength, js_heap_bytes: performance.memory ? performance.memory.usedJSHeapSize : null }),
    // Test hook: a deliberate Rust panic, to exercise recovery.
    debugPanic: () => {
      try {
        debug_panic();
      } catch (e) {
        view()?.fail(e);
      }
    },
  };
  window.nqm.paused = () => app.paused;
  showVersion();
  document.documentElement.dataset.ready = '1';
  registerServiceWorker();
}

main();
