// The controls of one panel, built from the Rust schema: a slider and a number box for each
// real or whole-number field, a select for each choice. Values always come from Rust (the view's
// `get`), so what the controls show is what the simulation uses.

const $ = (id) => document.getElementById(id);

export class Controls {
  // `fields`: the schema entries for the panel's keys, in order; `onSet(key, value, source,
  // dragging)` is called on every user change; `only`: keys to show (embed mode), or null;
  // `primary`: the key that matters most, shown first and outside the group of the others,
  // which is a disclosure ("More parameters") that `open` opens or closes.
  constructor(form, fields, { onSet, onRelease, only = null, primary = null }) {
    this.form = form;
    this.fields = fields;
    this.onSet = onSet;
    this.onRelease = onRelease;
    this.inputs = new Map();
    this.keys = new Set(fields.map((f) => f.key));
    this.more = document.createElement('details');
    this.more.className = 'more-controls';
    const summary = document.createElement('summary');
    summary.textContent = `More parameters (${fields.filter((f) => f.key !== primary).length})`;
    this.more.append(summary);
    form.replaceChildren(this.more);
    for (const f of fields) {
      const row = this.build(f);
      if (only && !only.includes(f.key)) row.dataset.excluded = '1';
      if (f.key === primary) form.insertBefore(row, this.more);
      else this.more.append(row);
    }
  }

  // Opens (`true`) or closes the group of the other parameters.
  open(on) { this.more.open = on; }

  build(f) {
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
      sel.addEventListener('change', () => { this.onSet(f.key, sel.value, sel, false); this.onRelease(f.key); });
      row.classList.add('wide');
      row.append(sel);
      els.push(sel);
    } else if (f.kind === 'int' && f.min === 0 && f.max === 1) {
      // A yes/no field (0 or 1): a checkbox.
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.id = label.htmlFor = `ctl-${f.key}`;
      box.addEventListener('change', () => { this.onSet(f.key, box.checked ? '1' : '0', box, false); this.onRelease(f.key); });
      row.classList.add('wide');
      row.append(box);
      els.push(box);
    } else {
      const slider = (f.max - f.min) / f.step < 1e5;
      const num = document.createElement('input');
      num.type = 'number';
      Object.assign(num, { min: f.min, max: f.max, step: f.kind === 'int' ? 1 : 'any' });
      num.setAttribute('aria-label', `${f.label} value`);
      num.addEventListener('change', () => { this.onSet(f.key, num.value, num, false); this.onRelease(f.key); });
      if (slider) {
        const range = document.createElement('input');
        range.type = 'range';
        range.id = label.htmlFor = `ctl-${f.key}`;
        Object.assign(range, { min: f.min, max: f.max, step: f.step });
        range.addEventListener('input', () => this.onSet(f.key, range.value, range, true));
        range.addEventListener('change', () => this.onRelease(f.key));
        row.append(range, num);
        els.push(range, num);
      } else {
        num.id = label.htmlFor = `ctl-${f.key}`;
        row.classList.add('wide');
        row.append(num);
        els.push(num);
      }
    }
    const help = document.createElement('span');
    help.className = 'visually-hidden';
    help.id = `help-${f.key}`;
    help.textContent = f.help;
    row.append(help);
    for (const el of els) el.setAttribute('aria-describedby', help.id);
    this.inputs.set(f.key, els);
    return row;
  }

  // Disables the controls of `keys` and says why (`note`); every other control is enabled.
  mark(keys, note) {
    for (const [key, els] of this.inputs) {
      const on = keys.includes(key);
      for (const el of els) el.disabled = on;
      const row = this.form.querySelector(`[data-key="${key}"]`);
      row.classList.toggle('replaced', on);
      row.querySelector('.replaced-note')?.remove();
      if (on) {
        const span = document.createElement('span');
        span.className = 'replaced-note';
        span.textContent = note;
        row.append(span);
      }
    }
  }

  // Shows every value as Rust holds it (`get(key)`), and hides the controls whose `when`
  // condition does not hold or that the embedding page did not ask for.
  sync(get) {
    for (const f of this.fields) {
      const v = get(f.key);
      for (const el of this.inputs.get(f.key)) {
        if (el.type === 'checkbox') el.checked = v === '1';
        else if (el.value !== v) el.value = v;
        if (el.type === 'range') el.setAttribute('aria-valuetext', f.unit ? `${v} ${f.unit}` : v);
      }
      const row = this.form.querySelector(`[data-key="${f.key}"]`);
      // A `when` condition applies only where its key is a control of this panel too.
      const off = f.when && this.keys.has(f.when[0]) && !f.when[1].includes(get(f.when[0]));
      row.hidden = !!off || row.dataset.excluded === '1';
    }
  }
}

export { $ };
