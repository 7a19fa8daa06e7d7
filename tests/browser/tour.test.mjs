// The guided article (tour.html): it loads with no console error and has at least ten live
// figures; a figure out of view neither animates nor runs Monte Carlo, and scrolling it into
// view starts it; each "try this" button sets the parameters it names; axe finds nothing serious;
// with the top of the article in view the main thread is busy under 60 % of the time.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { useBrowser, openPage } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const env = useBrowser({ before, after });

const open = (viewport = { width: 1366, height: 768 }) => openPage(env.browser, `${env.server.url}tour.html`, { viewport });

/** The frame of figure `id`, once its panel is ready. */
async function panelFrame(page, id) {
  const handle = await page.$(`#${id}`);
  const frame = await handle.contentFrame();
  await frame.waitForFunction(() => document.documentElement.dataset.ready === '1', null, { timeout: 60000 });
  return frame;
}

/** What a frame has done: animation frames, Monte Carlo points, a worker pool. */
const activity = (frame) => frame.evaluate(() => {
  const fig = window.nqm.panel() === 'ellipses' ? null : window.nqm.readouts();
  return {
    paused: document.documentElement.dataset.paused,
    frames: window.nqm.frameTimes().length,
    jobsDone: fig ? fig.jobs_done : 0,
    pool: window.nqm.pool() !== null,
  };
});

test('the article loads with no console error and has at least ten live figures', async () => {
  const page = await open();
  const figures = await page.$$eval('figure.live iframe', (fs) => fs.map((f) => f.getAttribute('loading')));
  assert.ok(figures.length >= 10, `${figures.length} figures`);
  assert.ok(figures.every((l) => l === 'lazy'));
  assert.ok(await page.$$eval('math', (ms) => ms.length) >= 10, 'equations in MathML');
  await page.waitForTimeout(1500);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

/** The fraction of wall-clock time the renderer's main thread spent in tasks over `ms`
 * (Chromium's TaskDuration through the DevTools protocol; same-site frames share that thread). */
async function busyFraction(page, ms) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const sample = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    const get = (name) => metrics.find((m) => m.name === name).value;
    return { task: get('TaskDuration'), at: get('Timestamp') };
  };
  const a = await sample();
  await page.waitForTimeout(ms);
  const b = await sample();
  await cdp.detach();
  return (b.task - a.task) / (b.at - a.at);
}

test('with the top of the article in view the main thread is busy under 60 % of the time', async () => {
  const page = await open();
  await panelFrame(page, 'fig-ellipses');
  await page.waitForTimeout(2000);
  const busy = await busyFraction(page, 5000);
  console.log(`tour.html, top in view at 1366×768: main thread busy ${(100 * busy).toFixed(1)} % of 5 s`);
  assert.ok(busy < 0.6, `busy ${(100 * busy).toFixed(1)} %`);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a figure out of view neither animates nor runs Monte Carlo; scrolled into view it starts', async () => {
  const page = await open();
  // The second figure lies below the first screen, near enough for the browser to load it.
  const below = await page.$eval('#fig-lr-sweep', (f) => f.getBoundingClientRect().top);
  assert.ok(below > 768, 'the figure is out of view');
  const lr = await panelFrame(page, 'fig-lr-sweep');
  await page.waitForTimeout(1500);
  const idle = await activity(lr);
  assert.equal(idle.paused, '1');
  assert.equal(idle.jobsDone, 0, 'no Monte Carlo point out of view');
  const ell = await panelFrame(page, 'fig-ellipses');
  await page.$eval('#fig-ellipses', (f) => f.scrollIntoView({ block: 'center' }));
  await ell.waitForFunction(() => window.nqm.frameTimes().length > 10);
  await page.$eval('#fig-lr-sweep', (f) => f.scrollIntoView({ block: 'center' }));
  await page.waitForTimeout(500);
  const still = (await activity(ell)).frames;
  await page.waitForTimeout(800);
  const after = await activity(ell);
  assert.equal(after.paused, '1', 'scrolled away, the live figure pauses');
  assert.equal(after.frames, still, 'and stops animating');
  await lr.waitForFunction(() => window.nqm.readouts().jobs_done > 0, null, { timeout: 60000 });
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('each "try this" button sets the parameters it names', async () => {
  const page = await open();
  const buttons = await page.$$eval('button.try', (bs) => bs.map((b) => ({ figure: b.dataset.figure, set: b.dataset.set })));
  for (const [i, b] of buttons.entries()) {
    await page.$eval(`#${b.figure}`, (f) => f.scrollIntoView({ block: 'center' }));
    const frame = await panelFrame(page, b.figure);
    await page.locator('button.try').nth(i).click();
    for (const [k, v] of new URLSearchParams(b.set)) {
      await frame.waitForFunction(([key, value]) => {
        const p = window.nqm.params();
        return Number.isNaN(Number(value)) ? p[key] === value : Number(p[key]) === Number(value);
      }, [k, v], { timeout: 10000 });
    }
    const href = await page.$eval(`a.open[data-figure="${b.figure}"]`, (a) => a.getAttribute('href'));
    const q = new URLSearchParams(href.split('?')[1]);
    for (const [k, v] of new URLSearchParams(b.set)) assert.equal(Number(q.get(k)) || q.get(k), Number(v) || v, `${b.figure}: the explorer link has ${k}`);
  }
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('axe-core finds no serious or critical violation in the article, on a laptop and a phone', async () => {
  for (const viewport of [{ width: 1366, height: 768 }, { width: 390, height: 844 }]) {
    const context = await env.browser.newContext({ bypassCSP: true, viewport });
    const page = await context.newPage();
    await page.goto(`${env.server.url}tour.html`);
    await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
    await page.addScriptTag({ path: AXE });
    const result = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
    });
    assert.deepEqual(result, [], `${viewport.width}px`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${viewport.width}px: the article is ${overflow} px too wide`);
    await page.context().close();
  }
});
