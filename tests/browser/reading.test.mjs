// Reading the panels (issue 15): the figure comes first — its top in the upper quarter of a
// laptop screen (1366×768) and in the upper half of a phone's (390×844), the primary control
// right under it on a phone — and the "try this" steps set their parameters, Back undoing them.
// The claim takes at most two lines on a laptop; a short readout label's full definition is
// reachable by touch and keyboard, not only by a tooltip.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { useBrowser, openPage } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const env = useBrowser({ before, after });

const SCREENS = [
  { name: 'laptop', viewport: { width: 1366, height: 768 }, fraction: 0.25 },
  { name: 'phone', viewport: { width: 390, height: 844 }, fraction: 0.5 },
];

/** Opens every panel in turn at `viewport`; calls `check(name, page)` on each. */
async function eachPanel(viewport, check) {
  const page = await openPage(env.browser, `${env.server.url}?panel=ellipses`, { viewport });
  for (const name of await page.evaluate(() => window.nqm.panels())) {
    await page.evaluate((n) => window.nqm.navigate(`panel=${n}&walkers=200&points=4&steps=100`), name);
    await page.waitForFunction((n) => window.nqm.panel() === n, name);
    await check(name, page);
  }
  assert.deepEqual(page.problems, []);
  await page.context().close();
}

for (const { name: screen, viewport, fraction } of SCREENS) {
  test(`${screen}: every panel's figure starts in the upper ${fraction === 0.25 ? 'quarter' : 'half'}`, async () => {
    const tops = {};
    await eachPanel(viewport, async (name, page) => {
      const at = await page.evaluate(() => {
        const top = (sel) => document.querySelector(sel)?.getBoundingClientRect().top ?? null;
        const plot = document.getElementById('plot').getBoundingClientRect();
        const primary = document.querySelector('#controls > .control');
        return { top: plot.top, bottom: plot.bottom, primary: primary ? top('#controls > .control') : null, title: top('#panel-title') };
      });
      tops[name] = Math.round(at.top);
      assert.ok(at.top >= at.title, `${name}: the title comes first`);
      assert.ok(at.top <= fraction * viewport.height, `${name}: the figure starts at ${at.top} px`);
      if (screen === 'phone') {
        assert.ok(at.primary !== null && at.primary - at.bottom < 80, `${name}: the primary control is ${at.primary - at.bottom} px under the plot`);
      }
    });
    console.log(`${screen} figure tops:`, JSON.stringify(tops));
  });
}

test('each "try this" step sets its parameters, and Back restores the state before it', async () => {
  await eachPanel({ width: 1366, height: 768 }, async (name, page) => {
    const steps = await page.$$eval('#step-buttons button', (bs) => bs.map((b) => b.dataset.query));
    assert.ok(steps.length >= 1 && steps.length <= 3, `${name}: ${steps.length} steps`);
    for (const [i, query] of steps.entries()) {
      const before = await page.evaluate(() => window.nqm.query());
      await page.click(`#step-buttons button:nth-child(${i + 1})`);
      const params = await page.evaluate(() => window.nqm.params());
      for (const [k, v] of new URLSearchParams(query)) {
        const same = Number.isNaN(Number(v)) ? params[k] === v : Number(params[k]) === Number(v);
        assert.ok(same, `${name}: step ${i + 1} sets ${k} to ${v}, not ${params[k]}`);
      }
      assert.ok((await page.textContent('#step-notice')).length > 20, `${name}: step ${i + 1} says what to notice`);
      await page.goBack();
      await page.waitForFunction((q) => window.nqm.query() === q, before);
    }
  });
});

test('laptop: every panel states its claim, ending with its source, in at most two lines', async () => {
  const lines = {};
  await eachPanel({ width: 1366, height: 768 }, async (name, page) => {
    const at = await page.evaluate(() => {
      const claim = document.getElementById('claim');
      const line = parseFloat(getComputedStyle(claim).lineHeight);
      return { lines: Math.round(claim.getBoundingClientRect().height / line), last: claim.lastElementChild?.className };
    });
    lines[name] = at.lines;
    assert.equal(at.last, 'src', `${name}: the claim ends with its source`);
    assert.ok(at.lines <= 2, `${name}: the claim runs to ${at.lines} lines`);
  });
  console.log('claim lines at 1366×768:', JSON.stringify(lines));
});

test('phone: a tap, or Enter on the keyboard, shows the full definition of every short readout label', async () => {
  const context = await env.browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, bypassCSP: true });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  await page.goto(`${env.server.url}?panel=escape&walkers=200&points=4&steps=20`);
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
  const wanted = await page.$$eval('#readouts-figure th[title]', (ths) => ths.map((th) => [th.textContent, th.title]));
  assert.ok(wanted.length >= 3, `${wanted.length} short labels`);
  await page.tap('#readout-defs summary');
  const shown = await page.$$eval('#readout-defs dt', (dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent, dt.getBoundingClientRect().height > 0]));
  assert.deepEqual(shown.map(([s, d]) => [s, d]), wanted);
  assert.ok(shown.every(([, , visible]) => visible), 'the definitions are visible after a tap');
  await page.waitForFunction(() => document.getElementById('progress-text').textContent.startsWith('Monte Carlo: all'));
  assert.equal(await page.$eval('#readout-defs', (d) => d.open), true, 'the list stays open as the readouts update');
  await page.focus('#readout-defs summary');
  await page.keyboard.press('Enter');
  assert.equal(await page.$eval('#readout-defs', (d) => d.open), false, 'Enter closes it');
  await page.keyboard.press('Enter');
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
  });
  assert.deepEqual(violations, []);
  assert.deepEqual(problems, []);
  await context.close();
});
