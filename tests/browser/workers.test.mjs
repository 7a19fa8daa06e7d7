// The Monte Carlo engine in the browser: same seed, same numbers as the native build; the
// worker pool's results, cancel, supersede, and restart after a worker throws.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage, nqm, assertNear } from './harness.mjs';

const env = useBrowser({ before, after });
const native = (q) => nqm('simulate', q);
const close = (a, b, what) => assertNear(a, b, what);

test('a seed gives the same walkers in WebAssembly as natively', async () => {
  const page = await openPage(env.browser, `${env.server.url}?panel=ellipses`);
  for (const q of [
    'lr=1.2&mu=0.3&noise=general&walkers=1000&steps=200&seed=7',
    'dim=1&lr=1.9&noise=white&walkers=333&steps=50&seed=8',
    'opt=qhm&mu=0.9&lr=1&noise=white&dist=student&walkers=500&steps=100&seed=9',
    'noise=minibatch&n_data=300&batch=30&replace=1&walkers=200&steps=100&seed=10',
  ]) {
    const web = await page.evaluate((query) => window.nqm.simulate(query), q);
    const nat = native(q);
    close(web.first_walker, nat.first_walker, `${q} first walker`);
    close(web.sigma_empirical, nat.sigma_empirical, `${q} Σ`);
    close(web.observed.o_l.half_running, nat.observed.o_l.half_running, `${q} O_L`);
  }
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a sweep in the worker pool returns every point, identical to the native runs', async () => {
  const page = await openPage(env.browser, `${env.server.url}?panel=ellipses`);
  const queries = [0.2, 0.6, 1.0, 1.4, 1.8, 2.2].map((lr) => `lr=${lr}&noise=white&walkers=2000&steps=300&seed=3`);
  const out = await page.evaluate(async (qs) => {
    const progress = [];
    const r = await window.nqm.sweep(qs, { workers: 2, onProgress: (d, t) => progress.push([d, t]) });
    return { ...r, progress };
  }, queries);
  assert.equal(out.cancelled, false);
  assert.equal(out.results.length, 6);
  assert.deepEqual(out.progress.at(-1), [6, 6]);
  out.results.forEach((r, i) => {
    const nat = native(queries[i]);
    assert.equal(r.diverged, nat.diverged);
    if (nat.sigma_empirical) close(r.sigma_empirical, nat.sigma_empirical, queries[i]);
  });
  // λ = 2.2 > 2/k_max: every walker diverged, reported, no NaN.
  assert.equal(out.results[5].diverged, 2000);
  assert.equal(out.results[5].sigma_empirical, null);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('cancel takes effect within 100 ms and a newer sweep supersedes an older one', async () => {
  const page = await openPage(env.browser, `${env.server.url}?panel=ellipses`);
  const timing = await page.evaluate(async () => {
    const big = Array.from({ length: 40 }, (_, i) => `dim=1&lr=${0.05 * (i + 1)}&walkers=10000&steps=1000&seed=${i}`);
    const run = window.nqm.sweep(big, { workers: 2 });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    window.nqm.cancelSweep();
    const r = await run;
    const cancelMs = performance.now() - t0;
    // Supersede: a second request replaces the first.
    const first = window.nqm.sweep(big, { workers: 2 });
    const second = window.nqm.sweep(['lr=0.5&walkers=100&steps=10'], { workers: 2 });
    const [a, b] = await Promise.all([first, second]);
    return { cancelMs, cancelled: r.cancelled, partial: r.results.filter(Boolean).length, a, b };
  });
  assert.equal(timing.cancelled, true);
  assert.ok(timing.cancelMs < 100, `cancel took ${timing.cancelMs} ms`);
  assert.ok(timing.partial < 40);
  assert.equal(timing.a.cancelled, true);
  assert.match(timing.a.reason, /superseded/);
  assert.equal(timing.b.cancelled, false);
  assert.equal(timing.b.results.length, 1);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a worker that throws is restarted with a visible message and its point re-run', async () => {
  const page = await openPage(env.browser, `${env.server.url}?panel=ellipses`);
  const out = await page.evaluate(async () => {
    const qs = Array.from({ length: 6 }, (_, i) => `lr=0.5&walkers=5000&steps=300&seed=${i}`);
    const run = window.nqm.sweep(qs, { workers: 2 });
    window.nqm.pool().crash(0);
    return run;
  });
  assert.equal(out.cancelled, false);
  assert.ok(out.results.every((r) => r && r.sigma_empirical), 'every point finished');
  const msg = await page.textContent('#worker-status');
  assert.match(msg, /worker stopped .*restarted/);
  assert.ok(await page.isVisible('#worker-status'));
  await page.context().close();
});

test('a figure panel shows Monte Carlo progress, can be cancelled, and runs on the main thread too', async () => {
  const page = await openPage(env.browser, `${env.server.url}?panel=lr-sweep&walkers=20000&points=30`);
  await page.waitForFunction(() => document.getElementById('progress').value > 0);
  await page.click('#cancel');
  await page.waitForFunction(() => /stopped/.test(document.getElementById('progress-text').textContent));
  assert.match(await page.textContent('#progress-text'), /partial/);
  assert.equal((await page.evaluate(() => window.nqm.readouts())).complete, false);
  // Main-thread mode, the visible switch: a change restarts the Monte Carlo there.
  await page.selectOption('#run-where', 'main');
  await page.evaluate(() => window.nqm.set('walkers', '2000'));
  await page.waitForFunction(() => window.nqm.readouts().complete, null, { timeout: 60000 });
  const fig = await page.evaluate(() => window.nqm.figure());
  const mc = fig.series.find((s) => s.kind === 'monte-carlo');
  assert.ok(mc.y.every((y) => typeof y === 'number'), 'every point finished');
  const text = await page.evaluate(() => document.body.innerText);
  assert.ok(!/NaN|Infinity/.test(text));
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
