// The time a person waits for each panel's default figure (run by `make bench`, not by
// `make test`): in headless Chromium, on the page served on 127.0.0.1, every panel is opened
// at its defaults by the page's own navigation (as a click in the panel menu does) and timed
// until its readouts say `complete` (every Monte Carlo point in). Two tours of all panels,
// the best of the two per panel; the first page load (WebAssembly, workers) is not counted.
// Beside the wall-clock time, the CPU time that Chromium's processes spent on the figure (from
// /proc, in the same tour): on a machine that other work slows down, CPU-seconds ÷ 2 is what
// the figure takes on both cores of an idle one, if the workers are kept busy.
// Prints one JSON object {panels: {name: seconds}, cpu_seconds: {name: seconds}, tours, cpu}.
//
// Usage: node bench_panels.mjs [ROOT] — ROOT is the directory to serve (default: the
// repository), so that another build (an older checkout, dist/) can be timed the same way.

import { serveDir, launch, openPage } from './harness.mjs';
import { treeCpu } from '../../benches/tree_cpu.mjs';
import os from 'node:os';


const root = process.argv[2];
const server = await serveDir(root);
const browser = await launch();
const times = {};
const cpuSeconds = {};
try {
  const page = await openPage(browser, `${server.url}`, { viewport: { width: 1366, height: 768 } });
  const names = await page.evaluate(() => window.nqm.panels());
  for (let tour = 0; tour < 2; tour++) {
    for (const name of names) {
      const c0 = treeCpu();
      const seconds = await page.evaluate(async (n) => {
        const t0 = performance.now();
        window.nqm.navigate(`panel=${n}`);
        while (!(window.nqm.panel() === n && window.nqm.readouts().complete)) {
          await new Promise((r) => setTimeout(r, 10));
        }
        return (performance.now() - t0) / 1000;
      }, name);
      const cpu = treeCpu() - c0;
      if (seconds < (times[name] ?? Infinity)) {
        times[name] = seconds;
        cpuSeconds[name] = cpu;
      }
    }
    await page.evaluate(() => window.nqm.navigate(''));
  }
  if (page.problems.length) times.console_errors = page.problems;
} finally {
  await browser.close();
  server.close();
}
console.log(JSON.stringify({ panels: times, cpu_seconds: cpuSeconds, tours: 2, cpu: os.cpus()[0].model }));
