// Shared set-up for the browser tests: serve the repository root with Python's http.server
// (as `make serve` does) on a free port of 127.0.0.1, and drive Debian's Chromium headless
// through playwright-core.

import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
  // window.gc() and unquantised performance.memory, for the soak's memory figures.
  '--js-flags=--expose-gc', '--enable-precise-memory-info',
];

/** Starts `python3 -m http.server` on a free port; resolves to {url, close}. */
export function serve() {
  return serveDir(ROOT);
}

/** Serves directory `dir` (default: the repository) as `serve` does. */
export function serveDir(dir = ROOT) {
  return new Promise((resolve, reject) => {
    const proc = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1'], {
      cwd: dir, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 10000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /port (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: `http://127.0.0.1:${m[1]}/`, close: () => proc.kill() });
      }
    });
    proc.stderr.on('data', () => {});
    proc.on('error', reject);
  });
}

/** Launches headless Chromium. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

/**
 * Opens `url` in a new page, collecting console errors and page errors into `page.problems`,
 * and waits until the explorer says it is ready (or has shown its load error).
 */
export async function openPage(browser, url, { viewport = { width: 1200, height: 900 }, ready = true } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => { if (m.type() === 'error') page.problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  await page.goto(url);
  if (ready) await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
  return page;
}

/**
 * Registers before/after hooks that start the server and the browser for a test file and stop
 * them; returns an object whose `server` and `browser` are set once they run.
 */
export function useBrowser({ before, after }) {
  const env = { server: null, browser: null };
  before(async () => {
    env.server = await serve();
    env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    env.server?.close();
  });
  return env;
}

/** The native `nqm` command: the one `make test` built for the Rust tests, else the release. */
const NQM = ['target/test-fast/nqm', 'target/release/nqm']
  .map((p) => path.join(ROOT, p))
  .find((p) => existsSync(p)) ?? path.join(ROOT, 'target/release/nqm');

/** The native `nqm` command's JSON for `command` (`theory` or `simulate`) and a query. */
export function nqm(command, query) {
  return JSON.parse(execFileSync(NQM, [command, query], { encoding: 'utf8' }));
}

/**
 * Asserts that `actual` equals `expected` everywhere, numbers to `rel` relative accuracy
 * (walking arrays and objects; `expected`'s keys decide what is compared).
 */
export function assertNear(actual, expected, what, rel = 1e-12) {
  if (typeof expected === 'number') {
    if (!(typeof actual === 'number' && Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected)))) {
      throw new assert.AssertionError({ message: `${what}: ${actual} vs ${expected}`, actual, expected });
    }
  } else if (expected && typeof expected === 'object') {
    if (!(actual && typeof actual === 'object')) {
      throw new assert.AssertionError({ message: `${what}: ${JSON.stringify(actual)} vs an object`, actual, expected });
    }
    for (const k of Object.keys(expected)) assertNear(actual[k], expected[k], `${what}.${k}`, rel);
  } else {
    assert.deepEqual(actual, expected, what);
  }
}
