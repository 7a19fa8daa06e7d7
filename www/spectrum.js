// "Your spectrum": a researcher's measured Hessian spectrum in place of a panel's power law, for
// the panels whose spec says `spectrum: true`. The file is read here, in the browser (a file
// input, a drop, or pasted numbers) and handed to Rust (PanelView.load_spectrum), which checks
// every row; nothing is uploaded. Rust computes the summary and the histogram; this draws them.

import { $ } from './controls.js';
import { download } from './export.js';
import { fmt } from './views.js';

const REPLACED = 'replaced by your spectrum';

export class SpectrumBox {
  // `view`: the panel view (its `handle`, `controls` and `stateFromRust`).
  constructor(view) {
    this.view = view;
    this.box = $('spectrum-box');
    this.box.hidden = !view.spec.spectrum || view.app.embed.on;
    this.off = [];
    if (this.box.hidden) { this.show(); return; }
    const on = (el, type, fn) => { el.addEventListener(type, fn); this.off.push(() => el.removeEventListener(type, fn)); };
    const input = $('spectrum-file');
    on(input, 'change', () => { if (input.files[0]) this.loadFile(input.files[0]); input.value = ''; });
    const zone = $('spectrum-drop');
    on(zone, 'dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
    on(zone, 'dragleave', () => zone.classList.remove('over'));
    on(zone, 'drop', (e) => {
      e.preventDefault();
      zone.classList.remove('over');
      const file = e.dataTransfer?.files?.[0];
      if (file) this.loadFile(file);
    });
    on($('spectrum-paste'), 'click', () => {
      const text = $('spectrum-text').value;
      if (text.trim()) this.load('pasted numbers', new TextEncoder().encode(text));
    });
    on($('spectrum-remove'), 'click', () => this.remove());
    on($('spectrum-download'), 'click', () => {
      const csv = this.view.handle.spectrum_csv();
      if (csv) download({ mime: 'text/csv', text: csv }, 'spectrum.csv');
    });
    this.showError('');
    this.show();
  }

  async loadFile(file) {
    // The same limit as Rust's (params::spectrum::MAX_FILE_BYTES), checked before reading.
    const MAX_FILE_BYTES = 64 << 20;
    if (file.size > MAX_FILE_BYTES) {
      this.showError(`${file.name} was not loaded (the file has ${file.size} bytes, more than the ${MAX_FILE_BYTES} read); nothing changed.`);
      return;
    }
    let bytes;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
    } catch (e) {
      this.showError(`${file.name} could not be read: ${e && e.message ? e.message : e}`);
      return;
    }
    this.load(file.name, bytes);
  }

  // Loads a spectrum; a refused one is named (row and column) and changes nothing.
  load(name, bytes) {
    if (this.view.broken || this.view.destroyed) return;
    try {
      this.view.handle.load_spectrum(name, bytes);
    } catch (e) {
      this.showError(`${name} was not loaded (${e && e.message ? e.message : e}); nothing changed.`);
      return;
    }
    this.showError('');
    this.box.open = true;
    this.view.stateFromRust();
  }

  remove() {
    try {
      this.view.handle.clear_spectrum();
    } catch (e) { this.showError(String(e)); return; }
    this.view.stateFromRust();
    $('spectrum-file').focus();
  }

  showError(text) {
    const el = $('spectrum-error');
    el.textContent = text;
    el.hidden = !text;
  }

  // Shows the spectrum in use (or none): summary, histogram, link note, and the power-law
  // controls it replaces.
  show() {
    const s = JSON.parse(this.view.handle.spectrum_json());
    this.view.controls.mark(s ? s.replaces : [], REPLACED); // in an embed too (a link's spectrum)
    if (this.box.hidden) return;
    $('spectrum-loaded').hidden = !s;
    if (!s) return;
    this.box.open = true;
    const noise = s.noise_column ? 'c given' : 'c = a·h (no c column)';
    $('spectrum-summary').textContent = `${s.rows} rows, ${s.directions} directions, h_max = ${fmt(s.h_max)}, ${noise}.`;
    const note = $('spectrum-link-note');
    note.textContent = s.fits_link ? 'The link holds this spectrum.' : `${s.link_note}.`;
    $('spectrum-download').hidden = s.fits_link;
    drawHistogram($('spectrum-hist'), s.histogram);
  }

  destroy() {
    this.off.forEach((f) => f());
    this.off = [];
  }
}

// Directions per bin of log h, as bars, with labelled axes.
function drawHistogram(canvas, bins) {
  const dpr = window.devicePixelRatio || 1;
  const r = canvas.getBoundingClientRect();
  canvas.width = Math.max(1, Math.round(r.width * dpr));
  canvas.height = Math.max(1, Math.round(r.height * dpr));
  const ctx = canvas.getContext('2d');
  const style = getComputedStyle(canvas);
  const fg = style.color;
  const bar = style.getPropertyValue('--accent').trim() || '#0072b2';
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const w = r.width;
  const h = r.height;
  ctx.clearRect(0, 0, w, h);
  const pad = { left: 30, right: 6, top: 6, bottom: 30 };
  const pw = w - pad.left - pad.right;
  const ph = h - pad.top - pad.bottom;
  const top = Math.max(1, ...bins.map((b) => b[2]));
  ctx.fillStyle = bar;
  bins.forEach(([, , n], i) => {
    const bh = (n / top) * ph;
    ctx.fillRect(pad.left + (i * pw) / bins.length, pad.top + ph - bh, Math.max(1, pw / bins.length - 1), bh);
  });
  ctx.strokeStyle = fg;
  ctx.fillStyle = fg;
  ctx.beginPath();
  ctx.moveTo(pad.left, pad.top);
  ctx.lineTo(pad.left, pad.top + ph);
  ctx.lineTo(pad.left + pw, pad.top + ph);
  ctx.stroke();
  ctx.font = '10px sans-serif';
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  ctx.fillText(fmt(bins[0][0]), pad.left, pad.top + ph + 2);
  ctx.textAlign = 'right';
  ctx.fillText(fmt(bins[bins.length - 1][1]), pad.left + pw, pad.top + ph + 2);
  ctx.textAlign = 'center';
  ctx.fillText('h (log)', pad.left + pw / 2, pad.top + ph + 16);
  ctx.save();
  ctx.translate(9, pad.top + ph / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText('directions', 0, -6);
  ctx.restore();
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  ctx.fillText(String(top), pad.left - 3, pad.top + 4);
  canvas.setAttribute('aria-label', `Histogram of your spectrum: directions per bin of log h, from h = ${fmt(bins[0][0])} to ${fmt(bins[bins.length - 1][1])}, at most ${top} directions in a bin.`);
}
