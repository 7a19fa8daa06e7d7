// Browser benchmarks (run by `make bench`, not by `make test`): the 2-D SGD kernel's
// walker-steps per second in WebAssembly, the full Fig. 2a sweep (40 learning rates × 10⁴
// walkers × 10³ steps) with one and with two workers, and the work per animation frame while
// the λ slider is dragged with 20 000 walkers on screen. Prints one JSON object.

import { serve, launch, openPage } from './harness.mjs';

const server = await serve();
const browser = await launch();
const out = {};
try {
  // Kernel: best of five runs of 10⁴ walkers × 10³ steps, on a page animating few walkers.
  const calm = await openPage(browser, `${server.url}?walkers=100&speed=1`);
  let best = 0;
  for (let i = 0; i < 5; i++) {
    const r = await calm.evaluate(() => window.nqm.benchmark({ walkers: 10000, steps: 1000 }));
    best = Math.max(best, r.walker_steps_per_second);
  }
  out.wasm_walker_steps_per_second = best;
  await calm.context().close();

  const page = await openPage(browser, `${server.url}?walkers=20000&speed=2&lr=0.5`);
  // Drag λ back and forth for ~4 s with 20 000 walkers; the work of each frame.
  const slider = page.locator('#ctl-lr');
  const box = await slider.boundingBox();
  await page.waitForTimeout(500);
  await page.evaluate(() => window.nqm.frameTimes().length); // settle
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + 10, y);
  await page.mouse.down();
  const t0 = Date.now();
  let dir = 1;
  let x = box.x + 10;
  while (Date.now() - t0 < 4000) {
    x += dir * 6;
    if (x > box.x + box.width * 0.45 || x < box.x + 10) dir = -dir;
    await page.mouse.move(x, y);
    await page.waitForTimeout(16);
  }
  await page.mouse.up();
  const frames = await page.evaluate(() => window.nqm.frameTimes());
  const sorted = frames.slice(-200).sort((a, b) => a - b);
  out.drag_frames = sorted.length;
  out.drag_frame_ms_p50 = sorted[Math.floor(0.5 * (sorted.length - 1))];
  out.drag_frame_ms_p95 = sorted[Math.floor(0.95 * (sorted.length - 1))];
  out.drag_walkers = (await page.evaluate(() => window.nqm.params())).walkers;
  out.console_errors = page.problems.length;
  await page.context().close();

  // Fig. 2a: 1-D, k = 1, σ² = 1, λ over (0, 2). On a page that animates only a few walkers, so
  // that the main thread does not compete with the workers for the cores.
  const quiet = await openPage(browser, `${server.url}?walkers=100&speed=1`);
  const queries = Array.from({ length: 40 }, (_, i) => `dim=1&h1=1&noise=white&sigma2=1&lr=${(2 * (i + 0.5)) / 40}&walkers=10000&steps=1000&seed=${i + 1}`);
  for (const workers of [1, 2]) {
    await quiet.evaluate((qs) => window.nqm.sweep(qs.slice(0, 2), { workers: 2 }), queries); // warm up
    const r = await quiet.evaluate(({ qs, w }) => window.nqm.sweep(qs, { workers: w }), { qs: queries, w: workers });
    out[`sweep_seconds_${workers}_worker${workers > 1 ? 's' : ''}`] = r.seconds;
  }
  out.sweep_speedup = out.sweep_seconds_1_worker / out.sweep_seconds_2_workers;
  await quiet.context().close();


} finally {
  await browser.close();
  server.close();
}
console.log(JSON.stringify(out));
