// The notebook widget: a live nqm-explorer panel in a notebook cell (anywidget's
// `export default { render({ model, el }) }`), computed here, in the notebook's frontend, by the
// same WebAssembly as the page. `make dist` bundles this file after the wasm-bindgen glue and
// www/controls.js into python/src/nqm_explorer/static/widget.mjs (the imports below are dropped).
//
// From Python (python/src/nqm_explorer/panel.py), as synced state:
//   query     the permalink query (never with `spectrum=`: the spectrum comes as _spectrum)
//   _spectrum {id, csv}: a measured spectrum as CSV text ('' for none), and a number that
//             changes with it
//   _wasm     the WebAssembly (bytes, from the wheel)
// To Python, as messages (model.send; not synced state, whose updates ipywidgets holds back
// while the kernel runs a cell that awaits them):
//   {type: 'query', query}   the controls here changed the state
//   {type: 'state', query, complete, jobs, jobs_done, readouts: [{key, label, value, se}],
//    details, errors, figure, spectrum_id, link_query}   what the panel shows for `query` and
//                               spectrum `spectrum_id` (figure: the public JSON format, once
//                               complete; else null; link_query: the permalink's query, with
//                               the spectrum when it fits)
// Monte Carlo runs on this thread, one job at a time between frames, to the end even off screen
// (Python may be waiting for it); a newer state supersedes a run in progress. A live panel's
// walkers stop while the view is off screen.

import { initSync, PanelView, plan_for_state, schema, panels_json } from '../../www/pkg/nqm_explorer.js';
import { Controls } from '../../www/controls.js';

const SYNC_PERIOD_MS = 400; // readouts go to Python at most this often
const LIVE_FIGURE_PERIOD_MS = 2000; // and a live panel's figure, with its walkers
let loaded = null;
let nextView = 1;

// The WebAssembly's bytes as the kernel sent them (a DataView, or a view or buffer of another kind).
function bytesOf(value) {
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    const v = value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return v.slice(); // a copy in a plain ArrayBuffer
  }
  if (value && value.buffer instanceof ArrayBuffer) return bytesOf(value.buffer);
  throw new Error(`the panel's WebAssembly did not arrive (got ${Object.prototype.toString.call(value)})`);
}

function load(model) {
  if (!loaded) {
    initSync({ module: bytesOf(model.get('_wasm')) });
    loaded = { fields: JSON.parse(schema()), specs: JSON.parse(panels_json()) };
  }
  return loaded;
}

function fmt(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(3);
  return x.toPrecision(4);
}

function el(tag, className) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  return e;
}

function render({ model, el: host }) {
  const { fields, specs } = load(model);
  const prefix = `nqm${nextView++}-`;
  const root = el('div', 'nqm-widget');
  const canvas = el('canvas');
  canvas.setAttribute('role', 'img');
  const side = el('div', 'nqm-side');
  const title = el('strong');
  const form = el('form');
  const status = el('div', 'nqm-status');
  status.setAttribute('role', 'status');
  const errorsBox = el('div', 'nqm-errors');
  const table = el('table');
  table.setAttribute('aria-label', 'readouts');
  side.append(title, status, errorsBox, table, form);
  root.append(canvas, side);
  host.append(root);

  let handle = null;
  let spec = null;
  let controls = null;
  let run = 0; // the Monte Carlo run in progress
  let visible = true;
  let closed = false;
  let lastSync = 0;
  let lastFigure = -Infinity;
  let syncTimer = null;
  let errors = [];
  let spectrumId = 0; // the spectrum of _spectrum now in the panel
  // JupyterLab's theme where there is one (data-jp-theme-light), else the system's.
  const dark = () => {
    const jp = document.body.dataset.jpThemeLight;
    return jp !== undefined ? jp === 'false' : matchMedia('(prefers-color-scheme: dark)').matches;
  };
  const dpr = () => window.devicePixelRatio || 1;

  function fit() {
    const r = canvas.getBoundingClientRect();
    const w = Math.max(1, Math.round(r.width * dpr()));
    const h = Math.max(1, Math.round(r.height * dpr()));
    if (canvas.width === w && canvas.height === h) return false;
    canvas.width = w;
    canvas.height = h;
    return true;
  }

  function draw() {
    try { handle.draw(dpr(), dark()); } catch (e) { status.textContent = `drawing failed: ${e}`; }
  }

  function build() {
    handle?.free();
    handle = new PanelView(canvas, model.get('query'));
    spec = specs.find((s) => s.name === handle.panel());
    title.textContent = spec.title;
    canvas.setAttribute('aria-label', `${spec.title}: ${spec.claim}`);
    const byKey = new Map(fields.map((f) => [f.key, f]));
    controls = new Controls(form, spec.keys.map((k) => byKey.get(k)), {
      onSet: (k, v) => { handle.set(k, v); changed(true); },
      onRelease: () => {},
    });
    // Ids unique to this view (several panels may share a notebook).
    for (const e of form.querySelectorAll('[id]')) e.id = prefix + e.id;
    for (const l of form.querySelectorAll('label[for]')) l.htmlFor = prefix + l.htmlFor;
    for (const e of form.querySelectorAll('[aria-describedby]')) e.setAttribute('aria-describedby', prefix + e.getAttribute('aria-describedby'));
  }

  function showErrors(list) {
    errors = list;
    errorsBox.textContent = errors.map((e) => e.message).join('\n');
  }

  // The query Python holds: the panel's, without its spectrum (which Python holds itself).
  const query = () => handle.query().replace(/&spectrum=[^&]*/, '');

  // Puts Python's spectrum (or none) into the panel; a refused one is a named error.
  function loadSpectrum() {
    const { id, csv } = model.get('_spectrum') || { id: 0, csv: '' };
    spectrumId = id;
    try {
      if (csv) handle.load_spectrum('spectrum.csv', new TextEncoder().encode(csv));
      else handle.clear_spectrum();
    } catch (e) {
      const message = `spectrum: ${e && e.message ? e.message : e}`;
      return [{ key: 'spectrum', message, reason: message, fallback: null }];
    } finally {
      controls.mark(JSON.parse(handle.spectrum_json())?.replaces ?? [], 'replaced by your spectrum');
    }
    return [];
  }

  // After any change of state: controls, drawing, readouts; the URL state goes back to Python;
  // the Monte Carlo starts again.
  function changed(fromHere) {
    controls.sync((k) => handle.get(k) ?? '');
    draw();
    const q = query();
    if (fromHere && q !== model.get('query')) model.send({ type: 'query', query: q });
    sync(true);
    startMonteCarlo();
  }

  function readouts() { return JSON.parse(handle.readouts_json()); }

  function showReadouts(r) {
    table.replaceChildren();
    for (const x of r.readouts) {
      const tr = el('tr');
      const th = el('th');
      th.scope = 'row';
      th.textContent = x.label;
      const td = el('td');
      td.dataset.key = x.key;
      td.textContent = x.value === null ? '—' : fmt(x.value) + (x.se !== null ? ` ± ${fmt(x.se)}` : '');
      tr.append(th, td);
      table.append(tr);
    }
    status.textContent = handle.live() ? `${r.steps ?? 0} steps, ${r.walkers_alive ?? ''} walkers`
      : r.jobs === 0 ? 'theory only'
        : r.complete ? `Monte Carlo: all ${r.jobs} points` : `Monte Carlo: ${r.jobs_done} of ${r.jobs} points…`;
  }

  // Sends the readouts (and, once complete, the figure) to Python; at most every SYNC_PERIOD_MS
  // unless `now`.
  function sync(now) {
    if (closed) return;
    const t = performance.now();
    if (!now && t - lastSync < SYNC_PERIOD_MS) {
      if (syncTimer === null) syncTimer = setTimeout(() => { syncTimer = null; sync(true); }, SYNC_PERIOD_MS);
      return;
    }
    lastSync = t;
    const r = readouts();
    if (handle.live()) r.complete = true; // the walkers run on; every number is current
    showReadouts(r);
    const { readouts: list, complete, jobs, jobs_done: done, ...details } = r;
    let figure = null;
    if (complete && (!handle.live() || t - lastFigure >= LIVE_FIGURE_PERIOD_MS || now)) {
      figure = JSON.parse(handle.figure_json());
      lastFigure = t;
    }
    model.send({
      type: 'state', query: query(), complete, jobs, jobs_done: done, readouts: list, details, errors, figure,
      spectrum_id: spectrumId, link_query: handle.query(),
    });
  }

  async function startMonteCarlo() {
    const id = ++run;
    if (handle.live()) return;
    if (handle.pending()) {
      // A heavy panel's plan (made in a worker on the page): here, between frames.
      await new Promise((r) => setTimeout(r, 0));
      if (id !== run || closed) return;
      try {
        handle.adopt(plan_for_state(handle.state_json()));
      } catch (e) {
        status.textContent = `the theory failed: ${e}`;
        return;
      }
      draw();
      sync(handle.jobs() === 0);
    }
    const n = handle.jobs();
    for (let i = 0; i < n; i++) {
      await new Promise((r) => setTimeout(r, 0)); // the notebook stays responsive between points
      if (id !== run || closed) return;
      try {
        handle.apply(handle.job(i));
      } catch (e) {
        status.textContent = `Monte Carlo point ${i + 1} failed: ${e}`;
        return;
      }
      draw();
      sync(i === n - 1);
    }
  }

  // A new query (which starts from the panel's defaults) or a new spectrum from Python.
  function fromPython() {
    const same = model.get('query') === query() && (model.get('_spectrum') || {}).id === spectrumId;
    if (same) return;
    let list;
    try {
      handle.apply_query(model.get('query'));
      list = JSON.parse(handle.errors()).concat(spectrumOf());
    } catch (e) {
      status.textContent = `the panel stopped: ${e}`;
      return;
    }
    showErrors(list);
    changed(true);
  }

  // Python's spectrum, if the panel takes one: the errors it brings.
  const spectrumOf = () => (spec.spectrum ? loadSpectrum() : []);

  function frame() {
    if (closed) return;
    if (visible && handle.live()) {
      try {
        handle.advance();
        draw();
        sync(false);
      } catch (e) {
        status.textContent = `the simulation stopped: ${e}`;
        return;
      }
    }
    requestAnimationFrame(frame);
  }

  build();
  fit();
  showErrors(JSON.parse(handle.errors()).concat(spectrumOf()));
  changed(true);
  model.on('change:query', fromPython);
  model.on('change:_spectrum', fromPython);
  const resize = new ResizeObserver(() => { if (fit()) draw(); });
  resize.observe(canvas);
  const seen = new IntersectionObserver((entries) => {
    visible = entries[entries.length - 1].isIntersecting;
  });
  seen.observe(root);
  requestAnimationFrame(frame);
  return () => {
    closed = true;
    run++;
    clearTimeout(syncTimer);
    resize.disconnect();
    seen.disconnect();
    model.off('change:query', fromPython);
    model.off('change:_spectrum', fromPython);
    handle?.free();
    handle = null;
  };
}

export default { render };
