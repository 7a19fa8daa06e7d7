// Every panel in a real headless Chromium: it opens from its link, its Monte Carlo completes,
// the canvas is drawn, nothing on the page is NaN, no console error; every slider of every
// panel at both ends; back and forward move between panels; the landing view lists them all.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage } from './harness.mjs';

const env = useBrowser({ before, after });

/** A small sample, so that every panel completes in seconds. */
const SMALL = 'walkers=300&points=5&steps=200';

/** Every panel, or those named in NQM_PANELS (comma-separated), e.g. NQM_PANELS=batch-size. */
async function panelNames() {
  const page = await openPage(env.browser, env.server.url);
  const names = await page.evaluate(() => window.nqm.panels());
  await page.context().close();
  const only = (process.env.NQM_PANELS || '').split(',').filter(Boolean);
  return only.length ? names.filter((n) => only.includes(n)) : names;
}

async function drawnPixels(page) {
  return page.evaluate(() => {
    const c = document.getElementById('plot');
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const [r0, g0, b0] = [px[0], px[1], px[2]];
    let n = 0;
    for (let i = 0; i < px.length; i += 4) if (Math.abs(px[i] - r0) + Math.abs(px[i + 1] - g0) + Math.abs(px[i + 2] - b0) > 30) n++;
    return n;
  });
}

async function clean(page, what) {
  const text = await page.evaluate(() => document.body.innerText);
  assert.ok(!/NaN|Infinity|undefined/.test(text), `${what}: NaN, Infinity or undefined on the page`);
  assert.deepEqual(page.problems, [], what);
}

test('the landing view lists every panel with a claim and a drawn thumbnail', async () => {
  const page = await openPage(env.browser, env.server.url);
  const names = await page.evaluate(() => window.nqm.panels());
  assert.ok(names.length >= 2);
  const items = await page.$$eval('#panel-list li', (lis) => lis.map((li) => ({
    href: li.querySelector('a').getAttribute('href'),
    claim: li.querySelector('.claim').textContent,
    drawn: (() => {
      const c = li.querySelector('canvas');
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] < 200) n++;
      return n;
    })(),
  })));
  assert.deepEqual(items.map((i) => i.href), names.map((n) => `?panel=${n}`));
  for (const i of items) {
    assert.ok(i.claim.length > 20, `${i.href}: no claim`);
    assert.ok(i.drawn > 100, `${i.href}: blank thumbnail`);
  }
  await clean(page, 'landing');
  await page.context().close();
});

test('every panel opens, completes its Monte Carlo, and draws, with no console error', async () => {
  for (const name of await panelNames()) {
    const page = await openPage(env.browser, `${env.server.url}?panel=${name}&${SMALL}`);
    await page.waitForFunction(() => window.nqm.readouts().complete === true, null, { timeout: 60000 });
    await page.waitForTimeout(200);
    assert.equal(await page.evaluate(() => window.nqm.panel()), name);
    assert.ok((await drawnPixels(page)) > 2000, `${name}: the canvas looks blank`);
    const caption = await page.$eval('#caption', (c) => ({ text: c.textContent, math: c.querySelectorAll('math').length }));
    assert.ok(caption.text.length > 40 && caption.math > 0, `${name}: caption without typeset math`);
    assert.match(await page.textContent('#source'), /Source: .+\d/, `${name}: no source`);
    await clean(page, name);
    await page.context().close();
  }
});

test('every slider of every panel at both ends: no NaN, no infinity, no console error', async () => {
  for (const name of await panelNames()) {
    const page = await openPage(env.browser, `${env.server.url}?panel=${name}&${SMALL}`);
    const sliders = await page.$$eval('#controls input[type=range]', (els) => els.map((e) => ({ id: e.id, min: e.min, max: e.max })));
    for (const s of sliders) {
      if (!(await page.isVisible(`#${s.id}`))) continue;
      if (['ctl-walkers', 'ctl-steps', 'ctl-points'].includes(s.id)) continue; // sample size: its own test
      for (const v of [s.min, s.max]) {
        await page.locator(`#${s.id}`).fill(v);
        await page.waitForTimeout(50);
        await clean(page, `${name}: ${s.id} = ${v}`);
      }
      await page.locator(`#${s.id}`).fill(String((Number(s.min) + Number(s.max)) / 2));
    }
    await page.waitForTimeout(300);
    await clean(page, `${name}: end`);
    await page.context().close();
  }
});

test('back and forward move between panels, each with its own state', async () => {
  const page = await openPage(env.browser, `${env.server.url}?panel=ellipses&lr=0.3`);
  await page.selectOption('#panel-select', 'lr-sweep');
  await page.waitForFunction(() => window.nqm.panel() === 'lr-sweep');
  assert.match(page.url(), /panel=lr-sweep/);
  await page.goBack();
  await page.waitForFunction(() => window.nqm.panel() === 'ellipses');
  assert.equal((await page.evaluate(() => window.nqm.params())).lr, 0.3);
  await page.goForward();
  await page.waitForFunction(() => window.nqm.panel() === 'lr-sweep');
  await page.selectOption('#panel-select', '');
  await page.waitForFunction(() => window.nqm.panel() === '' && !document.getElementById('landing').hidden);
  await page.goBack();
  await page.waitForFunction(() => window.nqm.panel() === 'lr-sweep');
  await clean(page, 'back and forward');
  await page.context().close();
});
