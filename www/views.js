// The two kinds of panel view, both on Rust's one handle (PanelView). LiveView animates a live
// panel's walkers (the ellipses); FigureView shows a figure panel: theory drawn at once, Monte
// Carlo points as workers report them. Both keep the URL equal to their full state. Rust
// computes every number; this only shows them.

import { PanelView, plan_for, plan_for_state, random_seed } from './pkg/nqm_explorer.js';
import { Controls, $ } from './controls.js';
import { SpectrumBox } from './spectrum.js';

const URL_DELAY_MS = 120;      // replaceState at most this often while dragging
const READOUT_PERIOD_MS = 250; // readouts refresh period while animating
const MC_DELAY_MS = 200;       // a figure's Monte Carlo restarts this long after the last change
const WIDE = '(min-width: 761px)'; // controls beside the figure, all shown (style.css: 760px)

export function fmt(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(3);
  return x.toPrecision(4);
}

function fmtMatrix(m) {
  if (!m) return 'none';
  return m.map((row) => row.map((x) => fmt(x).padStart(10)).join(' ')).join('\n');
}

function fmtSe(se) {
  if (!se) return '';
  const p = (x) => (Number.isFinite(x) ? x.toPrecision(2) : '—');
  return `\n± s.e. ${p(se[0][0])}, ${p(se[0][1])}, ${p(se[1][1])}`;
}

// What both views share: controls, messages, URL, buttons.
class View {
  constructor(app, spec, handle) {
    this.app = app;
    this.spec = spec;
    this.handle = handle;
    this.urlTimer = null;
    this.errors = [];
    this.broken = false;
    this.dragging = false;
    this.frameTimes = [];
    this.frameMax = 0;
    const byKey = new Map(app.fields.map((f) => [f.key, f]));
    this.controls = new Controls($('controls'), spec.keys.map((k) => byKey.get(k)), {
      onSet: (k, v, src, dragging) => { this.dragging = dragging; this.set(k, v, src); },
      onRelease: () => { this.dragging = false; this.released(); },
      only: app.embed.controls,
      primary: spec.reading.primary,
    });
    this.wide = matchMedia(WIDE);
    this.onWidth = () => this.controls.open(this.wide.matches || app.embed.on);
    this.wide.addEventListener('change', this.onWidth);
    this.onWidth();
    $('panel-title').textContent = spec.title;
    const src = document.createElement('span');
    src.className = 'src';
    src.textContent = ` — ${spec.source}`;
    $('claim').replaceChildren(spec.claim, src);
    // The caption is the panel's own static text from Rust (MathML); nothing from the URL.
    $('caption').innerHTML = spec.caption;
    $('source').textContent = `Source: ${spec.source}.`;
    $('plot').setAttribute('aria-label', `${spec.title}: ${spec.claim}`);
    this.buildSteps();
    this.buildPresets();
    this.spectrum = new SpectrumBox(this);
    this.showErrors(JSON.parse(handle.errors()));
    this.sync();
    this.writeUrl();
  }

  // After Rust changed the state by itself (a spectrum loaded or removed): everything follows.
  stateFromRust() {
    this.showErrors(JSON.parse(this.handle.errors()));
    this.sync();
    this.spectrum.show();
    this.writeUrl();
    this.changed(true);
    this.released();
  }

  // "Try this": each step is a button that sets its parameters (a new history entry, so that
  // Back restores the state before it) and says what to notice.
  buildSteps() {
    const box = $('step-buttons');
    box.replaceChildren();
    $('step-notice').textContent = '';
    for (const step of this.spec.reading.steps) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = step.label;
      b.dataset.query = step.query;
      b.addEventListener('click', () => this.takeStep(step));
      box.append(b);
    }
    $('steps').hidden = this.app.embed.on;
  }

  takeStep(step) {
    clearTimeout(this.urlTimer);
    this.urlTimer = null;
    this.writeUrl();
    history.pushState(null, '', location.href);
    this.applyQuery(step.query, true);
    $('step-notice').textContent = step.notice;
  }

  // The paper's settings that are not already steps.
  buildPresets() {
    const box = $('presets');
    box.replaceChildren();
    const steps = new Set(this.spec.reading.steps.map((s) => s.query));
    const presets = this.spec.presets.filter((p) => !steps.has(p.query));
    for (const p of presets) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = p.label;
      b.addEventListener('click', () => this.applyQuery(p.query, true));
      box.append(b);
    }
    box.hidden = presets.length === 0 || this.app.embed.on;
  }

  get(key) { return this.handle.get(key) ?? ''; }

  sync() { this.controls.sync((k) => this.get(k)); }

  query() { return this.handle.query(); }

  // Applies a query on top of the current state (presets, back/forward, postMessage).
  applyQuery(q, announce = false) {
    if (this.broken) { this.app.recover(); return; }
    try {
      this.handle.apply_query(q);
    } catch (e) { this.fail(e); return; }
    this.showErrors(JSON.parse(this.handle.errors()));
    this.sync();
    this.spectrum.show();
    this.writeUrl();
    this.changed(true);
    if (announce) this.released();
  }

  set(key, value, source) {
    if (this.broken) { this.app.recover(key, value); return 'the page is restarting'; }
    let err;
    try {
      err = this.handle.set(key, value);
    } catch (e) { this.fail(e); return 'internal error'; }
    if (err !== undefined && err !== null) {
      this.showErrors([{ key, message: `${key}: ${err}; kept ${this.get(key)}` }]);
    } else {
      this.clearErrorFor(key);
    }
    this.sync();
    if (source && document.activeElement === source && source.type === 'number') source.select?.();
    this.scheduleUrl();
    this.changed(!this.dragging);
    return err ?? null;
  }

  // After a panic the WebAssembly instance cannot be trusted: the next change reloads the page
  // with the state it shows (the URL always holds all of it), plus the change.
  fail(e) {
    if (this.broken) return;
    this.broken = true;
    this.app.broken = true;
    console.error('nqm-explorer: the simulation stopped:', e);
    const status = $('status');
    status.textContent = 'The simulation stopped on an internal error (details in the browser console). ' +
      'It restarts, with the same settings, on your next change.';
    status.hidden = false;
  }

  showErrors(errors) {
    const box = $('messages');
    this.errors = this.errors.filter((e) => !errors.some((n) => n.key === e.key)).concat(errors);
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
    if (this.errors.some((e) => e.key === key)) {
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
    const url = this.app.urlFor(this.query());
    this.lastUrl = url;
    if (url !== location.pathname + location.search) history.replaceState(null, '', url);
    this.app.stateChanged();
  }

  newSeed() {
    this.set('seed', String(random_seed()));
  }

  destroy() {
    this.destroyed = true;
    clearTimeout(this.urlTimer);
    this.wide.removeEventListener('change', this.onWidth);
    this.spectrum.destroy();
  }
}

// The live ellipse explorer: walkers animated every frame.
export class LiveView extends View {
  constructor(app, spec) {
    super(app, spec, new PanelView($('plot'), location.search));
    this.lastReadout = 0;
    $('readouts-live').hidden = false;
    this.updateReadouts(true);
    // With reduced motion the walkers do not animate: a stationary snapshot after a burst of
    // steps, redrawn on every change.
    this.still = app.reducedMotion.matches;
    if (this.still) this.snapshot();
    requestAnimationFrame(() => this.frame());
  }

  snapshot() {
    try {
      this.handle.reset();
      for (let i = 0; i < 200; i++) this.handle.advance();
      this.handle.draw(window.devicePixelRatio || 1, this.app.dark.matches);
    } catch (e) { this.fail(e); }
  }

  changed(force) {
    if (this.still) this.snapshot();
    this.updateReadouts(force);
  }

  released() {
    this.updateReadouts(true);
    const r = this.readouts();
    this.app.announce(`Exact discrete loss ${fmt(r.loss_discrete)}, continuous ${fmt(r.loss_continuous)}, walkers ${fmt(r.loss_empirical)}.`);
  }

  reset() { this.handle.reset(); if (this.still) this.snapshot(); this.updateReadouts(true); }

  newSeed() { super.newSeed(); this.handle.reset(); if (this.still) this.snapshot(); }

  readouts() {
    const r = JSON.parse(this.handle.readouts_json());
    r.complete = true; // the walkers run on; every number shown is current
    return r;
  }

  updateReadouts(force) {
    const now = performance.now();
    if (!force && now - this.lastReadout < READOUT_PERIOD_MS) return;
    this.lastReadout = now;
    const r = JSON.parse(this.handle.readouts_json());
    $('ro-sigma_discrete').textContent = r.sigma_discrete ? fmtMatrix(r.sigma_discrete) : 'none: no stationary state';
    $('ro-sigma_continuous').textContent = r.sigma_continuous ? fmtMatrix(r.sigma_continuous) : 'none';
    $('ro-sigma_empirical').textContent = fmtMatrix(r.sigma_empirical) + fmtSe(r.sigma_empirical_se);
    $('ro-loss_discrete').textContent = fmt(r.loss_discrete);
    $('ro-loss_continuous').textContent = fmt(r.loss_continuous);
    $('ro-loss_empirical').textContent = fmt(r.loss_empirical);
    $('ro-spectral_radius').textContent = `${fmt(r.spectral_radius)} (${r.stable ? 'stable: < 1' : 'unstable: ≥ 1'})`;
    $('ro-walkers').textContent = `${r.walkers_alive} live, ${r.diverged} diverged, ${r.steps} steps`;
    $('ro-effective_hessian').textContent = r.effective_hessian ? fmtMatrix(r.effective_hessian) : `none: ${r.effective_hessian_reason}`;
    const status = $('status');
    const msg = r.message || '';
    if (!this.broken && status.textContent !== msg) status.textContent = msg;
    status.hidden = !msg && !this.broken;
  }

  frame() {
    if (this.broken || this.destroyed) return;
    if (!this.still && !this.app.paused) {
      const t0 = performance.now();
      try {
        this.handle.advance();
        this.handle.draw(window.devicePixelRatio || 1, this.app.dark.matches);
        this.updateReadouts(false);
      } catch (e) {
        this.fail(e);
        return;
      }
      const work = performance.now() - t0;
      this.frameMax = Math.max(this.frameMax, work);
      this.frameTimes.push(work);
      if (this.frameTimes.length > 600) this.frameTimes.shift();
    }
    requestAnimationFrame(() => this.frame());
  }

  redraw() {
    try { this.handle.draw(window.devicePixelRatio || 1, this.app.dark.matches); } catch (e) { this.fail(e); }
  }

  destroy() {
    super.destroy();
    $('readouts-live').hidden = true;
  }
}

// A figure panel: the theory is drawn at once; the Monte Carlo jobs run in the worker pool (or
// on the main thread) and fill the figure in as they finish.
export class FigureView extends View {
  constructor(app, spec) {
    super(app, spec, new PanelView($('plot'), location.search));
    $('readouts-figure').hidden = false;
    this.runId = 0;
    this.mcTimer = null;
    this.draw();
    this.start();
  }

  // A heavy panel's plan (Spec::heavy) is made in a worker first; then the Monte Carlo runs.
  async start() {
    if (this.broken || this.destroyed || this.app.paused) return;
    if (this.handle.pending() && !(await this.planElsewhere())) return;
    this.startMonteCarlo();
  }

  // Asks a worker (or, with "run on the page", this thread between frames) for the plan of the
  // current state, and adopts it if the state has not changed meanwhile; whether it did.
  async planElsewhere() {
    const id = ++this.runId;
    const query = this.handle.query();
    $('progress-text').textContent = 'computing the exact theory…';
    // A spectrum too large for the query goes to the worker in the whole state.
    const state = this.handle.plan_key() === query ? null : this.handle.state_json();
    const item = state === null
      ? { planQuery: query, here: () => ({ planned: plan_for(query) }) }
      : { planState: state, here: () => ({ planned: plan_for_state(state) }) };
    const out = await this.app.sweeps.run([item], { where: $('run-where').value });
    if (id !== this.runId || this.destroyed || out.cancelled) return false;
    const r = out.results[0];
    if (!r || r.error) {
      this.showErrors([{ key: 'plan', message: `The theory failed: ${r ? r.error : 'no answer'}` }]);
      return false;
    }
    try {
      if (!this.handle.adopt(r.planned)) return false;
    } catch (e) { this.fail(e); return false; }
    this.draw();
    this.updateReadouts();
    return true;
  }

  changed() {
    this.draw();
    this.updateReadouts();
    // While a slider is dragged only the theory follows; the Monte Carlo starts again once
    // the value has stayed put for a moment.
    clearTimeout(this.mcTimer);
    this.app.sweeps.cancel('superseded by a newer setting');
    this.mcTimer = setTimeout(() => this.start(), MC_DELAY_MS);
  }

  released() {
    const r = this.readouts();
    const head = r.readouts.find((x) => x.key === this.spec.reading.headline && x.value !== null) ??
      r.readouts.find((x) => x.value !== null);
    if (head) this.app.announce(`${this.shortLabel(head)}: ${fmt(head.value)}.`);
  }

  // A readout's short label (the panel's reading.json); the figure's label is its definition.
  shortLabel(x) { return this.spec.reading.labels[x.key] ?? x.label; }

  draw() {
    if (this.broken || this.destroyed) return;
    try {
      this.handle.draw(window.devicePixelRatio || 1, this.app.dark.matches);
    } catch (e) { this.fail(e); }
  }

  redraw() { this.draw(); }

  readouts() { return JSON.parse(this.handle.readouts_json()); }

  updateReadouts() {
    const r = this.readouts();
    const body = $('readouts-figure').querySelector('tbody');
    body.replaceChildren();
    const headline = this.spec.reading.headline;
    const ordered = r.readouts.filter((x) => x.key === headline).concat(r.readouts.filter((x) => x.key !== headline));
    for (const x of ordered) {
      const tr = document.createElement('tr');
      if (x.key === headline) tr.className = 'headline';
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = this.shortLabel(x);
      if (th.textContent !== x.label) th.title = x.label;
      const td = document.createElement('td');
      td.dataset.key = x.key;
      td.textContent = x.value === null ? '—' : fmt(x.value) + (x.se !== null ? ` ± ${fmt(x.se)}` : '');
      tr.append(th, td);
      body.append(tr);
    }
    this.updateDefinitions(ordered);
    const total = r.jobs;
    $('progress').value = total ? r.jobs_done / total : 1;
    $('progress-text').textContent = this.handle.pending() ? 'computing the exact theory…' : total === 0
      ? 'theory only'
      : r.complete ? `Monte Carlo: all ${total} points` : `Monte Carlo: ${r.jobs_done} of ${total} points…`;
    $('cancel').disabled = r.complete;
  }

  // The full definition of every shortened readout label, in a disclosure under the readouts:
  // the title tooltip alone is out of reach by touch. Rebuilt only when the labels change, so
  // that an open list stays open while the Monte Carlo fills in.
  updateDefinitions(readouts) {
    const defs = readouts.filter((x) => this.shortLabel(x) !== x.label);
    const signature = defs.map((x) => `${x.key}\u0000${x.label}`).join('\u0001');
    if (signature === this.definitions) return;
    this.definitions = signature;
    const items = defs.flatMap((x) => {
      const dt = document.createElement('dt');
      dt.textContent = this.shortLabel(x);
      const dd = document.createElement('dd');
      dd.textContent = x.label;
      return [dt, dd];
    });
    $('readout-defs').querySelector('dl').replaceChildren(...items);
    $('readout-defs').hidden = defs.length === 0;
  }

  async startMonteCarlo() {
    if (this.broken || this.destroyed || this.app.paused) return;
    const id = ++this.runId;
    const n = this.handle.jobs();
    this.updateReadouts();
    if (n === 0) return;
    // Every job carries the plan (JSON), which a worker decodes once per plan (its key).
    const plan = { panel: this.spec.name, key: this.handle.plan_key(), plan: this.handle.plan_json() };
    const jobs = Array.from({ length: n }, (_, i) => ({ ...plan, job: i, here: () => ({ patches: this.handle.job(i) }) }));
    const out = await this.app.sweeps.run(jobs, {
      where: $('run-where').value,
      onPoint: (i, r) => {
        if (id !== this.runId || this.destroyed) return;
        if (!r || r.error) {
          this.showErrors([{ key: 'monte-carlo', message: `Monte Carlo point ${i + 1} failed: ${r ? r.error : 'no answer'}` }]);
          return;
        }
        try {
          this.handle.apply(r.patches);
        } catch (e) { this.fail(e); return; }
        this.draw();
        this.updateReadouts();
      },
    });
    if (id !== this.runId || this.destroyed) return;
    if (out.cancelled) {
      $('progress-text').textContent = `stopped (${out.reason}); the points shown are partial`;
    } else {
      this.released();
    }
  }

  // Hidden (www/site.js): the Monte Carlo stops; shown again, it starts again if unfinished.
  pause() {
    this.runId++;
    clearTimeout(this.mcTimer);
    this.app.sweeps.cancel('paused while hidden');
  }

  resume() {
    if (this.handle.pending() || !this.readouts().complete) this.start();
  }

  cancel() {
    this.runId++;
    this.app.sweeps.cancel('cancelled');
    $('progress-text').textContent = 'stopped (cancelled); the points shown are partial';
    $('cancel').disabled = true;
  }

  destroy() {
    super.destroy();
    this.runId++;
    clearTimeout(this.mcTimer);
    this.app.sweeps.cancel('the panel was closed');
    $('readouts-figure').hidden = true;
    $('readout-defs').hidden = true;
  }
}
