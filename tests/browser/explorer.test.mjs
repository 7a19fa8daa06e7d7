// The ellipse explorer in a real headless Chromium, served on 127.0.0.1 as `make serve` does.
// Numbers on the page are compared with the native `nqm` binary built from the same core.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage, nqm, assertNear } from './harness.mjs';

const env = useBrowser({ before, after });

/** The native theory for a page query string. */
const theory = (query) => nqm('theory', query);

function assertClose(actual, expected, rel, what) {
  assert.ok(Array.isArray(actual) && Array.isArray(expected), `${what}: ${actual} vs ${expected}`);
  assertNear(actual, expected, what, rel);
}

async function noNaNOnPage(page) {
  const text = await page.evaluate(() => document.body.innerText);
  assert.ok(!/NaN|Infinity/.test(text), 'NaN or Infinity shown on the page');
}

test('the page loads with no console errors and draws a crisp plot', async () => {
  const page = await openPage(env.browser, `${env.server.url}?panel=ellipses`);
  const ctx = await page.context();
  await page.waitForTimeout(500);
  const info = await page.evaluate(() => {
    const c = document.getElementById('plot');
    const r = c.getBoundingClientRect();
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let nonWhite = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i] < 250 || px[i + 1] < 250 || px[i + 2] < 250) nonWhite++;
    return { w: c.width, h: c.height, cssW: r.width, cssH: r.height, dpr: devicePixelRatio, nonWhite };
  });
  assert.equal(info.w, Math.round(info.cssW * info.dpr));
  assert.equal(info.h, Math.round(info.cssH * info.dpr));
  assert.ok(info.nonWhite > 1000, `the canvas looks blank (${info.nonWhite} drawn pixels)`);
  const r = await page.evaluate(() => window.nqm.readouts());
  assert.ok(r.stable && r.sigma_discrete && r.sigma_continuous && r.sigma_empirical);
  assert.match(await page.evaluate(() => location.search), /[?&]lr=0\.5(&|$)/);
  await noNaNOnPage(page);
  assert.deepEqual(page.problems, []);
  await ctx.close();
});

test('at device pixel ratio 2 the canvas has twice the CSS pixels', async () => {
  const ctx = await env.browser.newContext({ viewport: { width: 800, height: 700 }, deviceScaleFactor: 2 });
  const page = await ctx.newPage();
  await page.goto(`${env.server.url}?panel=ellipses`);
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
  await page.waitForTimeout(300);
  const s = await page.evaluate(() => {
    const c = document.getElementById('plot');
    return { w: c.width, css: c.getBoundingClientRect().width };
  });
  assert.equal(s.w, Math.round(2 * s.css));
  await ctx.close();
});

test('dragging λ from 0.2 to 1.8 updates the readouts to the Rust theory and the URL', async () => {
  const page = await openPage(env.browser, `${env.server.url}?lr=0.2&noise=general`);
  const slider = page.locator('#ctl-lr');
  const check = async () => {
    const [q, r] = await page.evaluate(() => [window.nqm.query(), window.nqm.readouts()]);
    const t = theory(q);
    assertClose(r.sigma_discrete, t.sigma_discrete, 1e-12, `sigma_discrete at ${q}`);
    assertClose(r.sigma_continuous, t.sigma_continuous, 1e-12, `sigma_continuous at ${q}`);
    assert.ok(Math.abs(r.spectral_radius - t.spectral_radius) < 1e-12);
    return r;
  };
  const first = await check();
  assert.equal((await page.evaluate(() => window.nqm.params())).lr, 0.2);

  // A real mouse drag across the slider: readouts follow at every position.
  const box = await slider.boundingBox();
  const at = (v) => box.x + 8 + ((v - 0.001) / (4 - 0.001)) * (box.width - 16);
  await page.mouse.move(at(0.2), box.y + box.height / 2);
  await page.mouse.down();
  let previous = first.sigma_discrete[0][0];
  for (const v of [0.5, 0.9, 1.3, 1.7]) {
    await page.mouse.move(at(v), box.y + box.height / 2, { steps: 4 });
    const r = await check();
    assert.ok(r.sigma_discrete[0][0] > previous, 'Σ grows with λ');
    previous = r.sigma_discrete[0][0];
  }
  await page.mouse.up();

  // Exactly 1.8, as a keyboard user or the numeric box would set it.
  await slider.fill('1.8');
  const r = await check();
  const t = theory('lr=1.8&noise=general');
  assertClose(r.sigma_discrete, t.sigma_discrete, 1e-12, 'sigma_discrete at λ = 1.8');
  assert.ok(r.sigma_discrete[0][0] > 3 * r.sigma_continuous[0][0], 'discrete Σ far beyond continuous at λk = 1.8');
  await page.waitForFunction(() => /[?&]lr=1\.8(&|$)/.test(location.search));
  assert.equal(await page.inputValue('input[aria-label="learning rate λ value"]'), '1.8');

  // The URL restores the same state in a new page.
  const url = page.url();
  const params = await page.evaluate(() => window.nqm.params());
  const again = await openPage(env.browser, url);
  assert.deepEqual(await again.evaluate(() => window.nqm.params()), params);
  assert.equal(await again.evaluate(() => window.nqm.query()), url.split('?')[1]);
  assert.deepEqual(page.problems, []);
  assert.deepEqual(again.problems, []);
  await noNaNOnPage(page);
  await page.context().close();
  await again.context().close();
});

test('beyond the stability limit the page says SGD diverges, and shows no NaN', async () => {
  const page = await openPage(env.browser, `${env.server.url}?lr=1.5&mu=0`);
  await page.locator('#ctl-lr').fill('2.4');
  await page.waitForSelector('#status:not([hidden])');
  const status = await page.textContent('#status');
  assert.match(status, /diverges/);
  assert.match(status, /2\(1\+μ\)/);
  await page.waitForTimeout(600); // walkers fly out and are counted
  const r = await page.evaluate(() => window.nqm.readouts());
  assert.equal(r.stable, false);
  assert.equal(r.sigma_discrete, null);
  assert.ok(r.spectral_radius >= 1);
  assert.ok(r.diverged > 0);
  await noNaNOnPage(page);
  // With momentum the limit moves to 2(1+μ): the same λ is stable again.
  await page.locator('#ctl-mu').fill('0.5');
  await page.waitForSelector('#status', { state: 'hidden' });
  const r2 = await page.evaluate(() => window.nqm.readouts());
  assert.equal(r2.stable, true);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a hostile link is named, falls back per field, and injects nothing', async () => {
  const q = '?lr=abc&mu=0.5&noise=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&walkers=1000000000&h2=0.3';
  const page = await openPage(env.browser, env.server.url + q);
  const msg = await page.textContent('#messages');
  assert.match(msg, /lr: 'abc' is not a number; using 0\.5 instead/);
  assert.match(msg, /noise: .* is not one of/);
  assert.match(msg, /walkers: 1000000000 is outside the range/);
  const p = await page.evaluate(() => window.nqm.params());
  assert.equal(p.mu, 0.5);
  assert.equal(p.h2, 0.3);
  assert.equal(p.lr, 0.5);
  assert.equal(p.noise, 'white');
  assert.equal(p.walkers, 5000);
  assert.equal(await page.locator('img').count(), 0, 'markup from the URL became an element');
  // The page rewrites the URL to the state it actually shows.
  await page.waitForFunction(() => !location.search.includes('abc'));
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('controls are keyboard-operable and the noise kind shows its own controls', async () => {
  const page = await openPage(env.browser, `${env.server.url}?lr=0.5`);
  await page.focus('#ctl-lr');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal((await page.evaluate(() => window.nqm.params())).lr, 0.502);
  assert.equal(await page.getAttribute('#ctl-lr', 'aria-valuetext'), '0.502');
  const t = theory('lr=0.502');
  assertClose((await page.evaluate(() => window.nqm.readouts())).sigma_discrete, t.sigma_discrete, 1e-12, 'Σ after keys');
  assert.equal(await page.isVisible('#ctl-c1'), false);
  await page.selectOption('#ctl-noise', 'general');
  assert.equal(await page.isVisible('#ctl-c1'), true);
  assert.equal(await page.isVisible('#ctl-sigma2'), false);
  // A bad number typed into a numeric box is refused with a message, and nothing changes.
  const box = page.locator('input[aria-label="momentum μ value"]');
  await box.fill('1.5');
  await box.press('Enter');
  await box.blur();
  assert.match(await page.textContent('#messages'), /mu: 1\.5 is outside the range/);
  assert.equal((await page.evaluate(() => window.nqm.params())).mu, 0);
  assert.equal(await box.inputValue(), '0');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('Reset restarts the walkers at the origin, and a seed reproduces them', async () => {
  const page = await openPage(env.browser, `${env.server.url}?seed=42&walkers=1000`);
  await page.waitForTimeout(300);
  // Click and read in one task, so no animation frame runs in between.
  const r = await page.evaluate(() => {
    document.getElementById('reset').click();
    return window.nqm.readouts();
  });
  assert.equal(r.steps, 0);
  await page.click('#new-seed');
  const seed = (await page.evaluate(() => window.nqm.params())).seed;
  assert.notEqual(seed, 42);
  assert.ok(Number.isSafeInteger(seed));
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('the wasm theory API returns what the native command line prints', async () => {
  const page = await openPage(env.browser, `${env.server.url}?panel=ellipses`);
  for (const q of [
    'opt=qhm&qhm_nu=0.7&mu=0.9&lr=1&t=10&n_data=1000&batch=100&dl=0.01',
    'opt=ngd&noise=fisher&cf=0.01&lr=0.5',
    'opt=adam&noise=fisher&cf=0.5&lr=0.1&t=3',
    'opt=precond&p1=2&p2=0.5&p_angle=30&lr=0.5&noise=general',
    'spec_d=200&noise=hessian&lr=1.5&t=10',
    'lr=2.5',
  ]) {
    const web = await page.evaluate((query) => window.nqm.theory(query), q);
    const native = theory(q);
    assert.deepEqual(web.errors, []);
    delete web.errors;
    assert.deepEqual(Object.keys(web).sort(), Object.keys(native).sort(), q);
    assertNear(web, native, q);
  }
  const bad = await page.evaluate(() => window.nqm.theory('lr=abc&opt=sgd'));
  assert.match(bad.errors[0], /lr: 'abc' is not a number/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
