// The deployable site (headless Chromium): dist/, as `make dist` writes it, served under a
// sub-path (http://127.0.0.1:PORT/some/project/, as a project site is served). A panel opens and
// completes with the optimised WebAssembly giving the native numbers; links and the Embed
// button point where the page is; nothing is requested off the host and nothing answers 404;
// it works offline after the first load; a new deployment replaces the old one, offline too;
// and the reveal.js example brings its panels back with their state when their slides return.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { ROOT, launch, nqm, assertNear } from './harness.mjs';
import { serveAt } from './static.mjs';

const DIST = path.join(ROOT, 'dist');
const VERSION = /^version = "([^"]+)"/m.exec(readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8'))[1];
const SMALL = 'walkers=300&points=5&steps=200';
const env = { site: null, browser: null };

before(async () => {
  assert.ok(existsSync(path.join(DIST, 'index.html')), 'dist/ is missing: run `make dist`');
  env.site = await serveAt(DIST, '/some/project/');
  env.browser = await launch();
});
after(async () => {
  await env.browser?.close();
  await env.site?.close();
});

const complete = (page) => page.waitForFunction(() => window.nqm.readouts().complete === true, null, { timeout: 60000 });
const notFound = () => env.site.log.filter((r) => r.status === 404).map((r) => r.url);

// Requests that leave the host (anything but the site's origin, data: and blob:).
function watchForeign(context) {
  const foreign = [];
  context.on('request', (r) => {
    const u = r.url();
    if (!(u.startsWith(env.site.origin + '/') || u.startsWith('data:') || u.startsWith('blob:') || u === 'about:blank')) foreign.push(u);
  });
  return foreign;
}

test('dist/ under a sub-path: a panel completes with the native numbers, links point where the page is, nothing off the host, no 404', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1200, height: 900 } });
  const foreign = watchForeign(context);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(env.site.url);
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
  assert.equal(await page.textContent('#app-version'), `nqm-explorer ${VERSION}`);
  // From the landing list to a panel, all under the sub-path.
  await page.click('a[href="?panel=lr-sweep"]');
  await page.evaluate((q) => window.nqm.navigate(q), `panel=lr-sweep&${SMALL}&seed=5`);
  await complete(page);
  assert.ok(page.url().startsWith(`${env.site.url}?v=3&panel=lr-sweep&`), page.url());
  const fig = await page.evaluate(() => window.nqm.figure());
  assert.equal(fig.explorer_version, VERSION);
  assert.ok(fig.series.some((s) => s.kind === 'monte-carlo' && s.y.every((y) => y === null || Number.isFinite(y))));
  // The optimised WebAssembly computes what the native build computes, number for number.
  const q = 'lr=1.5&h1=1&h2=0.1&noise=general&walkers=2000&steps=300&seed=7';
  assertNear(await page.evaluate((x) => window.nqm.simulate(x), q), nqm('simulate', q), 'simulate', 0);
  assertNear(await page.evaluate((x) => window.nqm.theory(x), q), nqm('theory', q), 'theory', 0);
  // The Embed button writes the page's own address; the embedded panel's "open in explorer" too.
  await page.click('#embed-button');
  const snippet = await page.inputValue('#embed-code');
  const src = /src="([^"]+)"/.exec(snippet)[1].replace(/&amp;/g, '&');
  assert.ok(src.startsWith(`${env.site.url}?v=3&panel=lr-sweep&`), src);
  const framed = await context.newPage();
  await framed.goto(src);
  await framed.waitForFunction(() => document.documentElement.dataset.ready === '1');
  const open = await framed.evaluate(() => document.getElementById('open-full').href);
  assert.ok(open.startsWith(`${env.site.url}?v=3&panel=lr-sweep&`) && !open.includes('embed=1'), open);
  await framed.close();
  // The examples, under the sub-path too.
  await page.goto(`${env.site.url}www/examples/lecture.html`);
  await page.frameLocator('#ellipses').locator('html[data-ready="1"]').waitFor();
  assert.deepEqual(foreign, []);
  assert.deepEqual(notFound(), []);
  assert.deepEqual(problems, []);
  await context.close();
});

test('offline after the first load; a new deployment replaces the old one, offline too, never mixing files', async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${env.site.url}?panel=ellipses&walkers=500`);
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30000 });
  await context.setOffline(true);
  await page.reload();
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
  await page.evaluate((q) => window.nqm.navigate(q), `panel=lr-sweep&${SMALL}`);
  await complete(page); // the workers, the glue and the WebAssembly come from the cache too
  await page.goto(`${env.site.url}www/examples/lecture.html`);
  await page.frameLocator('#ellipses').locator('html[data-ready="1"]').waitFor();
  await context.setOffline(false);

  // Build B: another page, and other glue and WebAssembly (a custom section and a comment).
  const b = mkdtempSync(path.join(os.tmpdir(), 'nqm-dist-b-'));
  try {
    cpSync(DIST, b, { recursive: true });
    const index = path.join(b, 'index.html');
    writeFileSync(index, readFileSync(index, 'utf8').replace('<span id="app-version"></span>', '<span id="app-version"></span> <span id="deploy-mark">B</span>'));
    appendFileSync(path.join(b, 'www/pkg/nqm_explorer.js'), '\n// build B\n');
    const name = Buffer.from('nqm-test-build-b');
    appendFileSync(path.join(b, 'www/pkg/nqm_explorer_bg.wasm'), Buffer.concat([Buffer.from([0, name.length + 2, name.length]), name, Buffer.from([66])]));
    execFileSync(process.execPath, [path.join(ROOT, 'tools/dist.mjs'), '--seal', b]);
    const idB = /"id": "([0-9a-f]+)"/.exec(readFileSync(path.join(b, 'sw.js'), 'utf8'))[1];
    env.site.setRoot(b);
    // The old build's page opens (from its cache), finds the new build, and reloads into it.
    await page.goto(`${env.site.url}?panel=ellipses&walkers=500`);
    // Under Playwright the browser's update check waits (about a minute here) until another
    // page of the context opens; a blank one lets it go on.
    await (await context.newPage()).goto('about:blank');
    await page.waitForSelector('#deploy-mark', { timeout: 60000 });
    await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
    const state = await page.evaluate(async () => {
      const keys = await caches.keys();
      const wasm = await (await fetch('www/pkg/nqm_explorer_bg.wasm')).arrayBuffer();
      const glue = await (await fetch('www/pkg/nqm_explorer.js')).text();
      return { keys, wasm: wasm.byteLength, glueB: glue.includes('// build B') };
    });
    assert.deepEqual(state.keys, [`nqm-explorer-${idB}`], 'the old build\'s cache is gone');
    assert.equal(state.wasm, readFileSync(path.join(b, 'www/pkg/nqm_explorer_bg.wasm')).length);
    assert.equal(state.glueB, true);
    await context.setOffline(true);
    await page.reload();
    await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
    assert.equal(await page.textContent('#deploy-mark'), 'B', 'offline, the new build');
    await context.setOffline(false);
  } finally {
    env.site.setRoot(DIST);
    rmSync(b, { recursive: true, force: true });
  }
  assert.deepEqual(notFound(), []);
  await context.close();
});

test('reveal.js slides: a panel is unloaded with its slide and comes back with its state; a preloaded one pauses while hidden', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 860 } });
  const foreign = watchForeign(context);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${env.site.url}www/examples/reveal.html`);
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
  const sweep = page.frameLocator('#sweep');
  const shown = async () => {
    await sweep.locator('html[data-ready="1"]').waitFor({ timeout: 30000 });
    const frame = page.frame({ url: /panel=lr-sweep/ });
    await frame.waitForFunction(() => window.nqm.readouts().complete === true, null, { timeout: 60000 });
    return frame.evaluate(() => ({ query: window.nqm.query(), series: window.nqm.figure().series }));
  };
  assert.equal(await page.getAttribute('#sweep', 'src'), null, 'loaded before its slide');
  await page.evaluate(() => window.deck.slide(1));
  const first = await shown();
  assert.match(first.query, /panel=lr-sweep&.*walkers=500/);
  await page.evaluate(() => window.deck.slide(2));
  await page.waitForFunction(() => !document.getElementById('sweep').hasAttribute('src'));
  // The preloaded ellipse panel runs on its slide...
  const ellipses = () => page.frame({ url: /panel=ellipses/ });
  await page.frameLocator('#ellipses').locator('html[data-ready="1"]').waitFor({ timeout: 30000 });
  await ellipses().waitForFunction(() => document.documentElement.dataset.paused === '0');
  const steps = () => ellipses().evaluate(() => window.nqm.readouts().steps);
  const s0 = await steps();
  await page.waitForTimeout(300);
  assert.ok((await steps()) > s0, 'the walkers do not move on their slide');
  // ...and pauses when its slide is left (it stays loaded: data-preload).
  await page.evaluate(() => window.deck.slide(3));
  await ellipses().waitForFunction(() => document.documentElement.dataset.paused === '1');
  const s1 = await steps();
  await page.waitForTimeout(300);
  assert.equal(await steps(), s1, 'the walkers move while hidden');
  await page.evaluate(() => window.deck.slide(2));
  await ellipses().waitForFunction(() => document.documentElement.dataset.paused === '0');
  // Back to the sweep: loaded again from its link, the same state and the same points.
  await page.evaluate(() => window.deck.slide(1));
  const again = await shown();
  assert.equal(again.query, first.query);
  assert.deepEqual(again.series, first.series);
  assert.deepEqual(problems, []);
  assert.deepEqual(foreign, []);
  assert.deepEqual(notFound(), []);
  await context.close();
});
