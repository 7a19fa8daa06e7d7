// "Your spectrum" (issue 18, headless Chromium): on batch-size a measured spectrum loaded from
// a file (the file input, a drop, pasted numbers) replaces the power law — the figure changes
// and completes, the power-law controls are marked as replaced, and the permalink carries it
// (reloading it gives the same figure); a spectrum too large for a link loads, the box says so
// and offers it as a CSV download, and the link keeps its other keys without it; a bad file
// is refused naming its row and column, and nothing changes; axe finds nothing serious; no
// console errors.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { useBrowser, openPage, ROOT } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const env = useBrowser({ before, after });

const FIXTURES = path.join(ROOT, 'tests/browser/fixtures');
const SMALL = path.join(FIXTURES, 'spectrum.csv');
const BAD = path.join(FIXTURES, 'bad_spectrum.csv');
const START = 'panel=batch-size&walkers=200&batch_max=256&seed=5';

const complete = (page) => page.waitForFunction(() => window.nqm.readouts().complete === true, null, { timeout: 120000 });

/** What a spectrum changes: the figure's series and the readouts' values. */
const shown = (page) => page.evaluate(() => ({
  series: window.nqm.figure().series,
  readouts: window.nqm.readouts().readouts.map((r) => [r.key, r.value]),
  query: window.nqm.query(),
  url: location.search,
  spectrum: window.nqm.spectrum(),
}));

async function open(url, { bypassCSP = false } = {}) {
  let page;
  if (bypassCSP) {
    // axe is injected as a script, which the page's Content-Security-Policy would refuse.
    const context = await env.browser.newContext({ bypassCSP, viewport: { width: 1366, height: 900 } });
    page = await context.newPage();
    page.problems = [];
    page.on('console', (m) => { if (m.type() === 'error') page.problems.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
    await page.goto(url);
    await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
  } else {
    page = await openPage(env.browser, url, { viewport: { width: 1366, height: 900 } });
  }
  await complete(page);
  await page.click('#spectrum-box > summary');
  return page;
}

/** A 500-row spectrum: more than a link holds. */
function bigCsv() {
  const rows = Array.from({ length: 500 }, (_, i) => `${(2 * (i + 1) ** -1.3).toPrecision(6)}`);
  return Buffer.from(`h\n${rows.join('\n')}\n`);
}

test('a spectrum file replaces the power law: the figure changes and completes, the link carries it, reloading restores it', async () => {
  const page = await open(`${env.server.url}?${START}`);
  const before = await shown(page);
  assert.equal(before.spectrum, null);
  assert.equal(await page.isDisabled('#ctl-spec_d'), false);
  await page.setInputFiles('#spectrum-file', SMALL);
  await page.waitForFunction(() => window.nqm.spectrum() !== null);
  await complete(page);
  const loaded = await shown(page);
  assert.deepEqual([loaded.spectrum.rows, loaded.spectrum.directions, loaded.spectrum.noise_column, loaded.spectrum.fits_link], [6, 32, true, true]);
  assert.match(await page.textContent('#spectrum-summary'), /6 rows, 32 directions, h_max = 3\.000, c given/);
  assert.ok(loaded.readouts.length > 0);
  assert.notDeepEqual([loaded.series, loaded.readouts], [before.series, before.readouts], 'the figure did not change');
  // The power-law keys are replaced: disabled and marked.
  for (const key of ['spec_d', 'spec_decay', 'h1']) {
    assert.equal(await page.isDisabled(`#ctl-${key}`), true, `${key} is not disabled`);
    assert.match(await page.textContent(`.control[data-key=${key}]`), /replaced by your spectrum/);
  }
  // The histogram is drawn.
  const ink = await page.evaluate(() => {
    const c = document.getElementById('spectrum-hist');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  });
  assert.ok(ink > 200, `histogram: ${ink} pixels drawn`);
  // The permalink holds it, and the other keys are as before.
  assert.match(loaded.url, /[?&]spectrum=3\*1\.5_1\.2\*0\.8_0\.5\*0\.4\*2_/);
  assert.equal(loaded.url.replace(/&spectrum=[^&]*/, ''), before.url);
  assert.equal(await page.isVisible('#spectrum-download'), false);
  assert.match(await page.textContent('#spectrum-link-note'), /link holds this spectrum/);
  // Reloading the link gives the same state and the same figure, point for point.
  const again = await openPage(env.browser, page.url(), { viewport: { width: 1366, height: 900 } });
  await complete(again);
  const reloaded = await shown(again);
  assert.equal(reloaded.query, loaded.query);
  assert.deepEqual(reloaded.series, loaded.series);
  assert.deepEqual(reloaded.readouts, loaded.readouts);
  assert.equal(await again.isDisabled('#ctl-spec_d'), true);
  // A bad file now: named by row and column; the spectrum and the link stay.
  await page.setInputFiles('#spectrum-file', BAD);
  await page.waitForSelector('#spectrum-error:not([hidden])');
  assert.match(await page.textContent('#spectrum-error'), /bad_spectrum\.csv was not loaded \(row 3, column h: -0\.1 is negative\)/);
  const kept = await shown(page);
  assert.deepEqual([kept.query, kept.url, kept.spectrum], [loaded.query, loaded.url, loaded.spectrum]);
  // Remove: the power law again, with its controls.
  await page.click('#spectrum-remove');
  await page.waitForFunction(() => window.nqm.spectrum() === null);
  await complete(page);
  const removed = await shown(page);
  assert.equal(removed.url, before.url);
  assert.deepEqual(removed.series, before.series);
  assert.equal(await page.isDisabled('#ctl-spec_d'), false);
  assert.equal(await page.isVisible('#spectrum-loaded'), false);
  assert.deepEqual(page.problems, []);
  assert.deepEqual(again.problems, []);
  await again.context().close();
  await page.context().close();
});

test('a bad file on the power law is refused by row and column, and nothing changes', async () => {
  const page = await open(`${env.server.url}?${START}`);
  const before = await shown(page);
  await page.setInputFiles('#spectrum-file', BAD);
  await page.waitForSelector('#spectrum-error:not([hidden])');
  assert.match(await page.textContent('#spectrum-error'), /row 3, column h/);
  await page.waitForTimeout(300);
  const after = await shown(page);
  assert.deepEqual(after, before);
  assert.equal(await page.isDisabled('#ctl-spec_d'), false);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a 500-row spectrum loads, the link leaves it out (other keys unchanged) and the box offers it as a CSV', async () => {
  const page = await open(`${env.server.url}?${START}`);
  const before = await shown(page);
  await page.setInputFiles('#spectrum-file', { name: 'big.csv', mimeType: 'text/csv', buffer: bigCsv() });
  await page.waitForFunction(() => window.nqm.spectrum() !== null);
  await complete(page);
  const loaded = await shown(page);
  assert.deepEqual([loaded.spectrum.rows, loaded.spectrum.fits_link], [500, false]);
  assert.equal(loaded.url, before.url, 'the link changed');
  assert.doesNotMatch(page.url(), /spectrum=/);
  assert.match(await page.textContent('#spectrum-link-note'), /500 rows; a link holds at most 100, so this link does not hold it/);
  assert.notDeepEqual(loaded.readouts, before.readouts, 'the figure did not change');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#spectrum-download')]);
  assert.equal(download.suggestedFilename(), 'spectrum.csv');
  const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'h,count');
  assert.equal(csv.length, 501);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('pasted numbers and a dropped file load too; the box is keyboard-operable and axe-clean', async () => {
  const page = await open(`${env.server.url}?${START}`, { bypassCSP: true });
  await page.fill('#spectrum-text', '2 1\n0.5 0.2\n0.1 0.05\n');
  await page.focus('#spectrum-paste');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.nqm.spectrum()?.rows === 3);
  assert.match(page.url(), /spectrum=2\*1_0\.5\*0\.2_0\.1\*0\.05/);
  // A drop of a file built in the page.
  await page.evaluate((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'dropped.csv', { type: 'text/csv' }));
    document.getElementById('spectrum-drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, readFileSync(SMALL, 'utf8'));
  await page.waitForFunction(() => window.nqm.spectrum()?.rows === 6);
  await complete(page);
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
  });
  assert.deepEqual(violations, []);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
