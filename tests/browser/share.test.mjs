// Share, embed, export, read (headless Chromium): permalinks and their migration, the
// lecture-notes example with three embedded panels driven by postMessage, exports that decode,
// keyboard operation, an axe-core audit of every panel, no request to any other host, offline
// use, reduced motion, a phone-width layout and the dark theme.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { useBrowser, openPage } from './harness.mjs';

const env = useBrowser({ before, after });
const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

const SMALL = 'walkers=300&points=5&steps=200';

async function names() {
  const page = await openPage(env.browser, env.server.url);
  const n = await page.evaluate(() => window.nqm.panels());
  await page.context().close();
  return n;
}

const complete = (page) => page.waitForFunction(() => window.nqm.readouts().complete === true, null, { timeout: 60000 });

test('Copy link round-trips every panel, and a shared link gives the same Monte Carlo points', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1200, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  for (const name of await names()) {
    const page = await context.newPage();
    await page.goto(`${env.server.url}?panel=${name}&${SMALL}&seed=17`);
    await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
    await complete(page);
    await page.click('#copy-link');
    await page.waitForFunction(() => /copied/.test(document.getElementById('copy-done').textContent));
    const link = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(link, page.url(), `${name}: copied link is not the address`);
    assert.match(link, /[?&]v=3&panel=/);
    if ((await page.evaluate(() => window.nqm.params())).seed !== undefined) {
      assert.match(link, /[?&]seed=17(&|$)/, `${name}: the seed is not in the link`);
    }
    const before = await page.evaluate(() => ({ q: window.nqm.query(), f: window.nqm.figure() }));
    const other = await context.newPage();
    await other.goto(link);
    await other.waitForFunction(() => document.documentElement.dataset.ready === '1');
    await complete(other);
    const after = await other.evaluate(() => ({ q: window.nqm.query(), f: window.nqm.figure() }));
    assert.equal(after.q, before.q, `${name}: state differs`);
    if (name !== 'ellipses') {
      // Deterministic jobs seeded by the link: the same points, number for number.
      assert.deepEqual(after.f.series, before.f.series, `${name}: Monte Carlo differs`);
    }
    await other.close();
    await page.close();
  }
  await context.close();
});

test('a version-1 link (before panels) opens the ellipse explorer with its settings', async () => {
  const v1 = 'v=1&lr=1.3&mu=0.2&h1=1&h2=0.1&h_angle=20&noise=general&sigma2=1&a=1&c1=1&c2=0.2&c_angle=30&cf=0.1&walkers=5000&seed=7&speed=2';
  const page = await openPage(env.browser, `${env.server.url}?${v1}`);
  assert.equal(await page.evaluate(() => window.nqm.panel()), 'ellipses');
  const p = await page.evaluate(() => window.nqm.params());
  assert.deepEqual([p.lr, p.mu, p.h_angle, p.noise, p.seed], [1.3, 0.2, 20, 'general', 7]);
  await page.waitForTimeout(300);
  assert.match(page.url(), /\?v=3&panel=ellipses&lr=1\.3&mu=0\.2&/);
  assert.equal(await page.isVisible('#messages'), false, 'a migrated link is not an error');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('the lecture-notes example embeds three panels, each with its controls, driven by postMessage', async () => {
  const page = await openPage(env.browser, `${env.server.url}www/examples/lecture.html`, { ready: false });
  const frames = ['ellipses', 'lr-sweep', 'ellipses-minibatch'];
  const expected = { ellipses: ['lr', 'mu'], 'lr-sweep': ['noise', 'ylog'], 'ellipses-minibatch': ['lr'] };
  for (const id of frames) {
    const frame = page.frameLocator(`#${id}`);
    await frame.locator('html[data-ready="1"]').waitFor();
    const shown = await frame.locator('#controls .control:not([hidden])').evaluateAll((rows) => rows.map((r) => r.dataset.key));
    assert.deepEqual(shown, expected[id], `${id}: controls shown`);
    for (const hidden of ['header', 'footer', '#caption', '.exports']) {
      assert.equal(await frame.locator(hidden).first().isVisible(), false, `${id}: ${hidden} shown in embed mode`);
    }
    assert.equal(await frame.locator('#open-full').isVisible(), true, `${id}: no open-in-explorer link`);
    // Sized to the iframe: no scrollbars.
    const overflow = await frame.locator('body').evaluate(() => ({
      x: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      y: document.documentElement.scrollHeight - document.documentElement.clientHeight,
    }));
    assert.ok(overflow.x <= 0 && overflow.y <= 0, `${id}: scrollbars ${JSON.stringify(overflow)}`);
  }
  const href = await page.frameLocator('#ellipses').locator('#open-full').getAttribute('href');
  assert.match(href, /panel=ellipses&lr=1\.2&/);
  assert.doesNotMatch(href, /embed=1/);
  // postMessage: set a parameter, then read a readout back.
  await page.click('#set-lr');
  await page.waitForFunction(() => document.getElementById('readout').dataset.lr === '1.8');
  assert.match(await page.textContent('#readout'), /λ = 1\.8: exact discrete loss \d/);
  const lr = await page.frameLocator('#ellipses').locator('#ctl-lr').inputValue();
  assert.equal(lr, '1.8');
  await page.click('#read');
  await page.waitForFunction(() => /exact discrete loss/.test(document.getElementById('readout').textContent));
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('the embedded panel ignores messages from a window that is not its parent, or another origin', async () => {
  const page = await openPage(env.browser, `${env.server.url}?panel=ellipses&lr=0.5`);
  // The page itself (not a parent) posting to itself is ignored.
  await page.evaluate(() => window.postMessage({ type: 'nqm:set', params: { lr: 1.9 } }, '*'));
  await page.waitForTimeout(200);
  assert.equal((await page.evaluate(() => window.nqm.params())).lr, 0.5);
  // A frame whose URL names an allowed origin refuses its own parent from another origin.
  const lecture = await openPage(env.browser, `${env.server.url}www/examples/lecture.html`, { ready: false });
  await lecture.evaluate(() => {
    const f = document.getElementById('ellipses');
    f.src = f.src.replace('embed=1', 'embed=1&origin=https%3A%2F%2Fnotes.example');
  });
  const frame = lecture.frameLocator('#ellipses');
  await frame.locator('html[data-ready="1"]').waitFor();
  await lecture.click('#set-lr');
  await lecture.waitForTimeout(400);
  assert.equal(await frame.locator('#ctl-lr').inputValue(), '1.2');
  await lecture.context().close();
  await page.context().close();
});

test('exports: the PNG decodes at the requested size, the SVG parses with the series, the CSV header round-trips', async () => {
  const page = await openPage(env.browser, `${env.server.url}?panel=lr-sweep&${SMALL}`);
  await complete(page);
  const png = await page.evaluate(async () => {
    const out = await window.nqm.export('png', { width: 1200, height: 800 });
    const bmp = await createImageBitmap(out.blob);
    const screen = await window.nqm.export('png');
    const b2 = await createImageBitmap(screen.blob);
    const c = document.getElementById('plot');
    return { w: bmp.width, h: bmp.height, sw: b2.width, sh: b2.height, cw: c.width, ch: c.height };
  });
  assert.deepEqual([png.w, png.h], [1200, 800]);
  assert.deepEqual([png.sw, png.sh], [png.cw, png.ch], 'screen PNG at device pixels');
  const svg = await page.evaluate(async () => {
    const out = await window.nqm.export('svg');
    const doc = new DOMParser().parseFromString(out.text, 'image/svg+xml');
    return { error: doc.querySelector('parsererror') !== null, root: doc.documentElement.nodeName, text: doc.documentElement.textContent };
  });
  assert.equal(svg.error, false);
  assert.equal(svg.root, 'svg');
  const fig = await page.evaluate(() => window.nqm.figure());
  for (const s of fig.series.filter((s) => s.legend)) assert.ok(svg.text.includes(s.name), `SVG lacks ${s.name}`);
  const csv = await page.evaluate(async () => (await window.nqm.export('csv')).text);
  const lines = csv.split('\n');
  const query = lines.find((l) => l.startsWith('# query: ')).slice('# query: '.length);
  assert.match(lines.find((l) => l.startsWith('# version: ')), /# version: 3/);
  const header = lines.find((l) => !l.startsWith('#'));
  assert.equal(header, 'series,kind,plot,x,y,y_err');
  const rows = lines.filter((l) => l && !l.startsWith('#')).slice(1);
  const total = fig.series.reduce((n, s) => n + s.x.length, 0);
  assert.equal(rows.length, total);
  const state = await page.evaluate(() => window.nqm.query());
  assert.equal(query, state);
  const again = await openPage(env.browser, `${env.server.url}?${query}`);
  assert.equal(await again.evaluate(() => window.nqm.query()), state, 'the CSV header reads back to the same state');
  const json = await page.evaluate(async () => JSON.parse((await window.nqm.export('json')).text));
  assert.equal(json.panel, 'lr-sweep');
  assert.equal(json.query, state);
  // The buttons download files.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-export=csv]')]);
  assert.equal(download.suggestedFilename(), 'lr-sweep.csv');
  assert.deepEqual(page.problems, []);
  await again.context().close();
  await page.context().close();
});

test('keyboard: tab reaches every control, arrow keys move a slider and the plot follows', async () => {
  const page = await openPage(env.browser, `${env.server.url}?panel=ellipses&lr=0.5`);
  const ids = await page.$$eval('#controls input, #controls select', (els) => els.filter((e) => e.offsetParent !== null).map((e) => e.id || e.getAttribute('aria-label')));
  const reached = new Set();
  for (let i = 0; i < 200 && reached.size < ids.length; i++) {
    await page.keyboard.press('Tab');
    const id = await page.evaluate(() => document.activeElement.id || document.activeElement.getAttribute('aria-label'));
    if (ids.includes(id)) reached.add(id);
  }
  assert.deepEqual([...ids].filter((i) => !reached.has(i)), [], 'controls not reached by Tab');
  // Focus is visible.
  await page.focus('#ctl-lr');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none');
  const before = await page.evaluate(() => window.nqm.readouts().loss_discrete);
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
  await page.waitForTimeout(100);
  const after = await page.evaluate(() => ({ lr: window.nqm.params().lr, loss: window.nqm.readouts().loss_discrete }));
  assert.equal(after.lr, 0.505);
  assert.ok(after.loss > before, 'the theory did not follow the slider');
  assert.equal(await page.getAttribute('#ctl-lr', 'aria-valuetext'), '0.505');
  await page.context().close();
});

test('axe-core finds no serious or critical accessibility violation on any panel or the landing view', async () => {
  const context = await env.browser.newContext({ bypassCSP: true, viewport: { width: 1200, height: 900 } });
  for (const q of ['', ...(await names()).map((n) => `?panel=${n}&${SMALL}`)]) {
    const page = await context.newPage();
    await page.goto(env.server.url + q);
    await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
    if (q) await complete(page);
    await page.addScriptTag({ path: AXE });
    const result = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
    });
    assert.deepEqual(result, [], `${q || 'landing'}`);
    await page.close();
  }
  await context.close();
});

test('a full tour of the panels requests nothing from any host but the page\'s own', async () => {
  const context = await env.browser.newContext();
  const foreign = [];
  const origin = new URL(env.server.url).origin;
  context.on('request', (r) => {
    const u = r.url();
    if (!(u.startsWith(origin) || u.startsWith('data:') || u.startsWith('blob:'))) foreign.push(u);
  });
  const page = await context.newPage();
  await page.goto(env.server.url);
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
  for (const name of await page.evaluate(() => window.nqm.panels())) {
    await page.evaluate((n) => window.nqm.navigate(`panel=${n}&walkers=300&points=5&steps=200`), name);
    await complete(page);
  }
  await page.goto(`${env.server.url}www/examples/lecture.html`);
  await page.waitForTimeout(1500);
  assert.deepEqual(foreign, []);
  await context.close();
});

test('once loaded, the explorer works offline', async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${env.server.url}?panel=lr-sweep&${SMALL}`);
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload(); // now controlled by the service worker, which caches what it serves
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
  await complete(page);
  await context.setOffline(true);
  await page.reload();
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
  await complete(page);
  assert.equal(await page.evaluate(() => window.nqm.panel()), 'lr-sweep');
  await context.setOffline(false);
  await context.close();
});

test('with reduced motion the walkers stand still (a stationary snapshot) and still follow changes', async () => {
  const context = await env.browser.newContext({ reducedMotion: 'reduce' });
  const page = await context.newPage();
  await page.goto(`${env.server.url}?panel=ellipses&walkers=2000`);
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
  const s1 = await page.evaluate(() => window.nqm.readouts().steps);
  await page.waitForTimeout(600);
  const s2 = await page.evaluate(() => window.nqm.readouts().steps);
  assert.equal(s1, s2, 'the walkers moved');
  assert.ok(s1 >= 200, 'no stationary snapshot');
  await page.locator('#ctl-lr').fill('1.5');
  await page.waitForTimeout(100);
  const r = await page.evaluate(() => window.nqm.readouts());
  assert.ok(r.sigma_empirical[0][0] > 1, 'the snapshot did not follow the change');
  await context.close();
});

test('a 360-pixel phone shows every panel without horizontal scrolling, and the dark theme follows the system', async () => {
  const context = await env.browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, colorScheme: 'dark' });
  for (const q of ['', '?panel=ellipses', `?panel=lr-sweep&${SMALL}`]) {
    const page = await context.newPage();
    await page.goto(env.server.url + q);
    await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
    await page.waitForTimeout(300);
    const s = await page.evaluate(() => ({
      over: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      bg: getComputedStyle(document.body).backgroundColor,
    }));
    assert.ok(s.over <= 0, `${q || 'landing'}: ${s.over} px of horizontal scroll`);
    assert.equal(s.bg, 'rgb(24, 24, 27)');
    if (q) {
      const px = await page.evaluate(() => {
        const c = document.getElementById('plot');
        return { w: c.width, css: c.getBoundingClientRect().width, corner: [...c.getContext('2d').getImageData(2, 2, 1, 1).data] };
      });
      assert.equal(px.w, Math.round(2 * px.css), 'canvas not at device pixels');
      assert.ok(px.corner[0] < 60, `the plot is not dark: ${px.corner}`);
    }
    await page.close();
  }
  await context.close();
});

test('the spoken readout does not chatter while a slider is dragged, and speaks on release', async () => {
  const page = await openPage(env.browser, `${env.server.url}?panel=ellipses&lr=0.5`);
  assert.equal(await page.getAttribute('#announce', 'aria-live'), 'polite');
  const before = await page.textContent('#announce');
  await page.evaluate(() => {
    const s = document.getElementById('ctl-lr');
    for (const v of ['0.6', '0.7', '0.8', '0.9']) {
      s.value = v;
      s.dispatchEvent(new Event('input', { bubbles: true }));
    }
  });
  await page.waitForTimeout(300);
  assert.equal(await page.textContent('#announce'), before, 'announced while dragging');
  await page.evaluate(() => document.getElementById('ctl-lr').dispatchEvent(new Event('change', { bubbles: true })));
  await page.waitForFunction((b) => document.getElementById('announce').textContent !== b, before);
  assert.match(await page.textContent('#announce'), /Exact discrete loss \d/);
  // The readout tables themselves are not live regions.
  assert.equal(await page.$$eval('table[aria-live], td[aria-live]', (e) => e.length), 0);
  await page.context().close();
});
