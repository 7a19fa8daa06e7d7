// A seed means the same walkers in WebAssembly as natively, bit for bit: every number of
// `nqm simulate` (sums over all walkers and steps, the first walker's position) is compared for
// exact equality. Enough normals are drawn (10⁶–10⁷ per query) that the ziggurat's wedge test,
// its tail (the portable ln) and its rejections all occur, in the 2-D and 1-D kernels, in the
// lane samplers of Student-t and χ² noise (the portable ln again), on the scalar path
// (state-dependent noise, minibatch data), and in ensembles of several chunks of 16 384
// walkers, which natively run on several threads.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage, nqm, assertNear } from './harness.mjs';

const env = useBrowser({ before, after });

test('the same seed gives bit-identical simulations in WebAssembly and natively', async () => {
  const page = await openPage(env.browser, `${env.server.url}?panel=ellipses`);
  for (const q of [
    'lr=0.5&noise=white&walkers=20000&steps=200&seed=1',
    'lr=1.2&mu=0.3&noise=general&walkers=10000&steps=300&seed=7',
    'dim=1&lr=1.9&noise=white&walkers=20001&steps=250&seed=8',
    'opt=qhm&mu=0.9&lr=1&noise=white&dist=student&walkers=2000&steps=100&seed=9',
    'lr=0.5&noise=white&dist=chi2&dof=3&walkers=2000&steps=100&seed=11',
    'lr=0.5&noise=white&dist=student&dof=5&walkers=20000&steps=50&seed=12',
    'dim=1&lr=1&noise=white&dist=chi2&dof=40&walkers=3000&steps=100&seed=13',
    'lr=0.5&noise=general&cf=0.1&dist=student&walkers=2000&steps=100&seed=14',
    'noise=minibatch&n_data=300&batch=30&replace=1&walkers=500&steps=100&seed=10',
  ]) {
    const web = await page.evaluate((query) => window.nqm.simulate(query), q);
    const nat = nqm('simulate', q);
    assert.ok(nat.first_walker, `${q}: the first walker is alive`);
    assertNear(web, nat, q, 0);
  }
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
