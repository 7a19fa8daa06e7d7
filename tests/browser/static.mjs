// A static host for the deployment tests: serves a directory (dist/) under a sub-path of
// 127.0.0.1, as a project site is served (https://host/some/project/), and records every
// request with its status. `root` can be changed while it runs (a new deployment).

import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.txt': 'text/plain; charset=utf-8', '.ico': 'image/x-icon', '.md': 'text/plain; charset=utf-8',
};

/** Serves `root` at http://127.0.0.1:PORT`prefix` (prefix like '/some/project/'); resolves to
 * {url, origin, log: [{url, status}], setRoot(dir), close()}. */
export function serveAt(root, prefix = '/some/project/') {
  const site = { root: path.resolve(root), log: [] };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const reply = (status, body = '', headers = {}) => {
      site.log.push({ url: url.pathname + url.search, status });
      res.writeHead(status, headers).end(body);
    };
    if (!url.pathname.startsWith(prefix)) {
      if (url.pathname === prefix.slice(0, -1)) return reply(301, '', { location: prefix });
      return reply(404, 'not found');
    }
    let rel = decodeURIComponent(url.pathname.slice(prefix.length));
    if (rel === '' || rel.endsWith('/')) rel += 'index.html';
    const file = path.join(site.root, rel);
    if (!file.startsWith(site.root + path.sep)) return reply(403, 'forbidden');
    try {
      if (!(await stat(file)).isFile()) return reply(404, 'not found');
      const body = await readFile(file);
      // As GitHub Pages does: cacheable for ten minutes.
      reply(200, body, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'cache-control': 'max-age=600' });
    } catch {
      reply(404, 'not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const origin = `http://127.0.0.1:${server.address().port}`;
      resolve({
        url: origin + prefix,
        origin,
        log: site.log,
        setRoot: (dir) => { site.root = path.resolve(dir); },
        close: () => new Promise((r) => server.close(r)),
      });
    });
  });
}
