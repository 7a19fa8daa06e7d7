// The soak: drive the λ slider back and forth for `seconds` with 5 000 walkers, after a
// warm-up of a quarter of the time; report the growth of WebAssembly memory and of the JS
// heap (after a forced garbage collection) from the end of the warm-up to the end, the longest
// frame after the warm-up, and console errors. `node soak.mjs [seconds]` runs it alone
// (`make soak`: 600 s).

import { fileURLToPath } from 'node:url';
import { serve, launch, openPage } from './harness.mjs';

export async function soak(browser, url, { seconds = 20 } = {}) {
  const page = await openPage(browser, `${url}?panel=ellipses&walkers=5000&speed=2&lr=0.5`);
  const slider = page.locator('#ctl-lr');
  const box = await slider.boundingBox();
  const y = box.y + box.height / 2;
  const sample = () => page.evaluate(() => {
    if (window.gc) window.gc();
    return window.nqm.memory();
  });
  const drive = async (ms) => {
    await page.mouse.move(box.x + 10, y);
    await page.mouse.down();
    const end = Date.now() + ms;
    let x = box.x + 10;
    let dir = 1;
    while (Date.now() < end) {
      x += dir * 8;
      if (x > box.x + box.width * 0.45 || x < box.x + 10) dir = -dir;
      await page.mouse.move(x, y);
      await page.waitForTimeout(16);
    }
    await page.mouse.up();
  };
  await drive(seconds * 250);
  const warm = await sample();
  await page.evaluate(() => window.nqm.takeFrameMax());
  await drive(seconds * 750);
  const maxFrame = await page.evaluate(() => window.nqm.takeFrameMax());
  const end = await sample();
  const frames = await page.evaluate(() => window.nqm.frameTimes());
  const result = {
    seconds,
    wasm_bytes_after_warmup: warm.wasm_bytes,
    wasm_bytes_end: end.wasm_bytes,
    wasm_growth: (end.wasm_bytes - warm.wasm_bytes) / warm.wasm_bytes,
    js_heap_after_warmup: warm.js_heap_bytes,
    js_heap_end: end.js_heap_bytes,
    js_heap_growth: (end.js_heap_bytes - warm.js_heap_bytes) / warm.js_heap_bytes,
    max_frame_ms: maxFrame,
    frame_ms_p95_last_600: frames.sort((a, b) => a - b)[Math.floor(0.95 * (frames.length - 1))],
    console_errors: page.problems.length,
  };
  await page.context().close();
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await serve();
  const browser = await launch();
  try {
    console.log(JSON.stringify(await soak(browser, server.url, { seconds: Number(process.argv[2] || 600) })));
  } finally {
    await browser.close();
    server.close();
  }
}
