// The time a person waits for each panel's default figure (run by `make bench`, not by
// `make test`): in headless Chromium, on the page served on 127.0.0.1, every panel is opened
// at its defaults by the page's own navigation (as a click in the panel menu does) and timed
// until its readouts say `complete` (every Monte Carlo point in). Two tours of all panels,
// the best of the two per panel; the first page load (WebAssembly, workers) is not counted.
// Prints one JSON object {panels: {name: seconds}, tours, cpu}.
//
// Usage: node bench_panels.mjs [ROOT] — ROOT is the directory to serve (default: the
// repository), so that another build (an older checkout, dist/) can be timed the same way.

import { serveDir, launch, openPage } from './harness.mjs';
import os from 'node:os';

const root = process.argv[2];
const server = await serveDir(root);
const browser = await launch();
const times = {};
try {
  const page = await openPage(browser, `${server.url}`, { viewport: { width: 1366, height: 768 } });
  const names = await page.evaluate(() => window.nqm.panels());
  for (let tour = 0; tour < 2; tour++) {
    for (const name of names) {
      const seconds = await page.evaluate(async (n) => {
        const t0 = performance.now();
        window.nqm.navigate(`panel=${n}`);
        while (!(window.nqm.panel() === n && window.nqm.readouts().complete)) {
          await new Promise((r) => setTimeout(r, 10));
        }
        return (performance.now() - t0) / 1000;
      }, name);
      times[name] = Math.min(times[name] ?? Infinity, seconds);
    }
    await page.evaluate(() => window.nqm.navigate(''));
  }
  if (page.problems.length) times.console_errors = page.problems;
} finally {
  await browser.close();
  server.close();
}
console.log(JSON.stringify({ panels: times, tours: 2, cpu: os.cpus()[0].model }));
