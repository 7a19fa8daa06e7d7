// The page as a published site: the version in the footer, the offline cache and the switch to a
// new deployment (sw.js), and pausing while nobody can see the panel (an embedded panel scrolled
// out of view, on a slide that is not shown, or in a hidden tab).

import { version } from './pkg/nqm_explorer.js';

// Writes the version (Cargo.toml's, from the WebAssembly itself) into the footer.
export function showVersion() {
  const el = document.getElementById('app-version');
  if (el) el.textContent = `nqm-explorer ${version()}`;
}

// Offline use: a service worker keeps the page's files (this origin only). When a new deployment
// takes over, the page reloads itself into it, with the state its address holds.
export function registerServiceWorker() {
  if (!('serviceWorker' in navigator) || location.protocol === 'file:') return;
  const hadController = !!navigator.serviceWorker.controller;
  let reloading = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (!hadController || reloading) return;
    reloading = true;
    location.reload();
  });
  // register() alone does not look for a new deployment once one is installed, and the
  // browser's own look on navigation can wait long: update() does, once the page has loaded.
  navigator.serviceWorker.register('./sw.js')
    .then((reg) => {
      if (!hadController) return;
      const look = () => setTimeout(() => reg.update().catch((e) => console.warn('no new deployment looked for:', e.message)), 500);
      if (document.readyState === 'complete') look();
      else window.addEventListener('load', look, { once: true });
    })
    .catch((e) => console.warn('offline cache unavailable:', e.message));
}

// Pauses the view while it cannot be seen, and resumes it when it can: the live walkers stop,
// a figure's Monte Carlo is stopped and starts again (from its link's seeds, so with the same
// points) when shown. A panel embedded in a frame pauses when its frame leaves the screen, when
// its tab is hidden, and when reveal.js says its slide stopped ('slide:stop', for frames with
// data-preload that stay loaded); the explorer page itself pauses only its animation in a
// hidden tab, and lets a long Monte Carlo run finish in the background.
export function pauseWhenHidden(app) {
  const framed = window.parent !== window;
  const why = new Set();
  const update = () => {
    const paused = why.size > 0;
    if (paused === app.paused) return;
    app.paused = paused;
    document.documentElement.dataset.paused = paused ? '1' : '0';
    if (paused) app.view?.pause?.();
    else app.view?.resume?.();
  };
  const toggle = (reason, on) => {
    if (on) why.add(reason);
    else why.delete(reason);
    update();
  };
  app.paused = false;
  document.documentElement.dataset.paused = '0';
  document.addEventListener('visibilitychange', () => {
    // On the explorer page, a hidden tab stops only the animation (the browser stops its frames).
    if (framed) toggle('tab', document.visibilityState === 'hidden');
  });
  if (!framed) return;
  if (document.visibilityState === 'hidden') toggle('tab', true);
  // Until the first observation says otherwise, a frame counts as off screen: a figure far down
  // an article neither animates nor starts its Monte Carlo before it is seen.
  toggle('offscreen', true);
  // In a frame, the implicit root of an IntersectionObserver is the top-level viewport.
  new IntersectionObserver((entries) => {
    toggle('offscreen', !entries[entries.length - 1].isIntersecting);
  }).observe(document.documentElement);
  window.addEventListener('message', (e) => {
    if (e.source !== window.parent) return;
    if (e.data === 'slide:stop') toggle('slide', true);
    else if (e.data === 'slide:start') toggle('slide', false);
  });
}
