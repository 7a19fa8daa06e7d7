// Offline cache for nqm-explorer. Nothing from other origins is fetched or cached.
//
// In the repository (`make serve`) BUILD is null: every file the page loads from its own origin
// is kept, and served from the cache only when the network is unavailable (network first, so a
// rebuilt page is picked up at once).
//
// In a deployment (`make dist`), tools/dist.mjs writes BUILD: the build's id (a hash of every
// file's content) and the SHA-256 of each file. The service worker then installs the whole build
// into a cache named by that id, checking every file against its hash (a file of another build,
// say from a stale HTTP cache, fails the install, and the build in use stays), and serves the
// page's files from that cache only, so that a page never mixes the files of two builds: never
// old JavaScript with new WebAssembly. A new deployment changes this file (its BUILD), so the
// browser installs the new build beside the old one; on activation the old build's cache is
// deleted, offline copy included, and the page reloads itself into the new build (www/site.js).

const BUILD = null; // written by `make dist` (tools/dist.mjs)

const PREFIX = 'nqm-explorer-';
const CACHE = PREFIX + (BUILD ? BUILD.id : 'dev');
const DEV_CORE = [
  './', './index.html', './www/style.css', './www/main.js', './www/views.js', './www/controls.js',
  './www/export.js', './www/spectrum.js', './www/embed.js', './www/site.js', './www/pool.js', './www/worker.js',
  './www/pkg/nqm_explorer.js', './www/pkg/nqm_explorer_bg.wasm',
  './tour.html', './www/tour.js', './www/tour.css',
];

function hex(buffer) {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// Fetches every file of the build past the HTTP cache and checks it against its hash.
async function installBuild() {
  const cache = await caches.open(CACHE);
  await Promise.all(Object.entries(BUILD.files).map(async ([file, sha256]) => {
    const url = new URL(file, self.registration.scope);
    const res = await fetch(url, { cache: 'no-store' });
    if (!res.ok) throw new Error(`${file}: HTTP ${res.status}`);
    const got = hex(await crypto.subtle.digest('SHA-256', await res.clone().arrayBuffer()));
    if (got !== sha256) throw new Error(`${file} is not the file of build ${BUILD.id}`);
    await cache.put(url, res);
  }));
}

self.addEventListener('install', (event) => {
  event.waitUntil((BUILD ? installBuild() : caches.open(CACHE).then((c) => c.addAll(DEV_CORE)))
    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE && (k.startsWith(PREFIX) || k === 'nqm-explorer-v2'))
        .map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// A deployment: the build's copy of a request (a page's address without its query; a folder
// means its index.html), or the network for what the build does not hold.
async function fromBuild(req) {
  const url = new URL(req.url);
  url.search = '';
  url.hash = '';
  if (url.pathname.endsWith('/')) url.pathname += 'index.html';
  const hit = await caches.open(CACHE).then((c) => c.match(url));
  return hit || fetch(req);
}

// The repository: network first, the cache when offline.
function networkFirst(req) {
  return fetch(req)
    .then((res) => {
      if (res.ok) {
        const copy = res.clone();
        caches.open(CACHE).then((c) => c.put(req, copy));
      }
      return res;
    })
    .catch(() => caches.match(req, { ignoreSearch: req.mode === 'navigate' })
      .then((hit) => hit || caches.match('./index.html')));
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  if (BUILD && !req.url.startsWith(self.registration.scope)) return;
  event.respondWith(BUILD ? fromBuild(req) : networkFirst(req));
});
