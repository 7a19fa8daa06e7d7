// Reliability in a real browser: hostile links, every slider at its ends, a WebAssembly file
// that does not load, a panic in Rust, and a short soak (the long one is `make soak`).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage } from './harness.mjs';
import { soak } from './soak.mjs';

const env = useBrowser({ before, after });

async function clean(page, what) {
  const text = await page.evaluate(() => document.body.innerText);
  assert.ok(!/NaN|Infinity/.test(text), `${what}: NaN or Infinity on the page`);
  assert.equal(await page.locator('script:not([src]), img, iframe').count(), 0, `${what}: markup from the URL became an element`);
}

const HOSTILE = [
  ['a script tag as a value', 'noise=%3Cscript%3Ealert(1)%3C%2Fscript%3E', 'noise'],
  ['a script tag as a key', '%3Cscript%3Ealert(1)%3C%2Fscript%3E=1&lr=0.7', null],
  ['NaN', 'lr=NaN', 'lr'],
  ['1e308', 'lr=1e308', 'lr'],
  ['a negative count', 'walkers=-5', 'walkers'],
  ['10⁹ walkers', 'walkers=1000000000', 'walkers'],
  ['unicode', 'seed=%E7%A8%AE%E5%AD%90&h1=%F0%9F%92%A5', 'seed'],
  ['an empty value', 'mu=', 'mu'],
  ['a control character', 'h2=0.1%00', 'h2'],
];

for (const [name, query, key] of HOSTILE) {
  test(`a hostile link with ${name} is named and the rest applies`, async () => {
    const page = await openPage(env.browser, `${env.server.url}?${query}&sigma2=2`);
    await page.waitForTimeout(200);
    if (key) {
      const msg = await page.textContent('#messages');
      assert.match(msg, new RegExp(`${key}: `), `${name}: ${msg}`);
    }
    assert.equal((await page.evaluate(() => window.nqm.params())).sigma2, 2, `${name}: the rest of the link`);
    const r = await page.evaluate(() => window.nqm.readouts());
    assert.ok(r.sigma_discrete && r.spectral_radius < 1);
    await clean(page, name);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
}

test('a 100 kB query is refused whole, by name, and the page keeps working', async () => {
  const page = await openPage(env.browser, `${env.server.url}?lr=0.7`);
  await page.evaluate(() => {
    history.pushState(null, '', `?lr=1.1&pad=${'x'.repeat(100000)}`);
    dispatchEvent(new PopStateEvent('popstate'));
  });
  assert.match(await page.textContent('#messages'), /query: the query is 1000\d\d characters long/);
  assert.equal((await page.evaluate(() => window.nqm.params())).lr, 0.7);
  await clean(page, '100 kB');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('every slider at both ends: no NaN, no infinity, no console error', async () => {
  const page = await openPage(env.browser, `${env.server.url}?walkers=2000&noise=general`);
  const sliders = await page.$$eval('input[type=range]', (els) => els.map((e) => ({ id: e.id, min: e.min, max: e.max })));
  assert.ok(sliders.length >= 10);
  const kinds = await page.$$eval('#ctl-noise option', (os) => os.map((o) => o.value));
  assert.deepEqual(kinds, ['white', 'hessian', 'mixed', 'general', 'fisher', 'minibatch']);
  for (const noise of kinds) {
    await page.selectOption('#ctl-noise', noise);
    for (const s of sliders) {
      if (!(await page.isVisible(`#${s.id}`))) continue;
      for (const v of [s.min, s.max]) {
        await page.locator(`#${s.id}`).fill(v);
        await page.waitForTimeout(60);
        await clean(page, `${s.id} = ${v}`);
      }
      await page.locator(`#${s.id}`).fill(String((Number(s.min) + Number(s.max)) / 2));
    }
  }
  // The worst corner: λ at its maximum with momentum at its maximum and a flat direction.
  for (const [id, v] of [['ctl-lr', '4'], ['ctl-mu', '0.99'], ['ctl-h2', '0'], ['ctl-h1', '10']]) {
    await page.locator(`#${id}`).fill(v);
  }
  await page.waitForTimeout(300);
  await clean(page, 'corner');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('if the WebAssembly does not load, the page says so in words', async () => {
  const context = await env.browser.newContext();
  await context.route('**/*.wasm', (route) => route.abort());
  const page = await context.newPage();
  await page.goto(`${env.server.url}?panel=ellipses`);
  await page.waitForSelector('#load-error:not([hidden])');
  assert.match(await page.textContent('#load-error'), /could not start: its WebAssembly module did not load/);
  await context.close();
});

test('a panic in Rust reaches the console and the page recovers on the next change', async () => {
  const page = await openPage(env.browser, `${env.server.url}?lr=0.3&seed=5`);
  await page.evaluate(() => window.nqm.debugPanic());
  assert.ok(page.problems.some((p) => /panicked at/.test(p) && /deliberate panic/.test(p)), page.problems.join('\n'));
  assert.match(await page.textContent('#status'), /restarts, with the same settings, on your next change/);
  // The next change reloads the page with the state it showed plus the change.
  const reload = page.waitForNavigation();
  await page.locator('#ctl-mu').fill('0.4');
  await reload;
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
  const p = await page.evaluate(() => window.nqm.params());
  assert.equal(p.mu, 0.4);
  assert.equal(p.lr, 0.3);
  assert.equal(p.seed, 5);
  assert.ok((await page.evaluate(() => window.nqm.readouts())).sigma_discrete);
  await page.context().close();
});

test('a short soak: memory flat, no long frame, no console error', async () => {
  const r = await soak(env.browser, env.server.url, { seconds: Number(process.env.SOAK_SECONDS || 20) });
  console.log(`soak: ${JSON.stringify(r)}`);
  assert.ok(r.wasm_growth < 0.05, `wasm memory grew ${(100 * r.wasm_growth).toFixed(1)} %`);
  assert.ok(r.js_heap_growth < 0.05, `JS heap grew ${(100 * r.js_heap_growth).toFixed(1)} %`);
  assert.ok(r.max_frame_ms < 100, `a frame took ${r.max_frame_ms} ms`);
  assert.equal(r.console_errors, 0);
});
