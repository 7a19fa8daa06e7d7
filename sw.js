// Offline cache for nqm-explorer: every file the page loads from its own origin is kept, and
// served from the cache when the network is unavailable (network first, so a rebuilt page is
// picked up at once). Nothing from other origins is fetched or cached.

const CACHE = 'nqm-explorer-v2';
const CORE = [
  './', './index.html', './www/style.css', './www/main.js', './www/views.js', './www/controls.js',
  './www/export.js', './www/embed.js', './www/pool.js', './www/worker.js',
  './www/pkg/nqm_explorer.js', './www/pkg/nqm_explorer_bg.wasm',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(CORE)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  event.respondWith(
    fetch(req)
      .then((res) => {
        if (res.ok) {
          const copy = res.clone();
          caches.open(CACHE).then((c) => c.put(req, copy));
        }
        return res;
      })
      .catch(() => caches.match(req, { ignoreSearch: req.mode === 'navigate' })
        .then((hit) => hit || caches.match('./index.html'))),
  );
});
