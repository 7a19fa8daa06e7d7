// The guided article (tour.html): its live figures are the explorer's panels in iframes
// (`embed=1`, loading=lazy; an embedded panel pauses while it cannot be seen, www/site.js).
// "Try this" buttons set a figure's parameters through the embed protocol (nqm:set,
// www/embed.js); each figure's "open in explorer" link follows the state its frame reports.

import { registerServiceWorker } from './site.js';

const frames = () => [...document.querySelectorAll('figure.live iframe')];

// Posts `message` to the figure's frame (same origin only).
function post(frame, message) {
  frame.contentWindow?.postMessage(message, location.origin);
}

// A query string as the {key: value} object of an nqm:set message.
function paramsOf(query) {
  return Object.fromEntries(new URLSearchParams(query));
}

function linkOf(id) {
  return document.querySelector(`a.open[data-figure="${id}"]`);
}

// The frame's replies: the state after a change, and its announcement when it loads.
function listen() {
  window.addEventListener('message', (event) => {
    if (event.origin !== location.origin) return;
    const frame = frames().find((f) => f.contentWindow === event.source);
    const m = event.data;
    if (!frame || !m || typeof m !== 'object') return;
    if (m.type === 'nqm:ready') post(frame, { type: 'nqm:get', id: frame.id });
    if (m.type === 'nqm:state' && typeof m.query === 'string') {
      linkOf(frame.id).href = `./?${m.query}`;
    }
  });
}

function bindButtons() {
  for (const b of document.querySelectorAll('button.try')) {
    b.addEventListener('click', () => {
      const frame = document.getElementById(b.dataset.figure);
      post(frame, { type: 'nqm:set', id: frame.id, params: paramsOf(b.dataset.set) });
    });
  }
  // The reader may have moved the figure's own sliders: ask for its state before leaving.
  for (const a of document.querySelectorAll('a.open')) {
    const ask = () => post(document.getElementById(a.dataset.figure), { type: 'nqm:get', id: a.dataset.figure });
    a.addEventListener('pointerenter', ask);
    a.addEventListener('focus', ask);
  }
}

listen();
bindButtons();
document.documentElement.dataset.ready = '1';
registerServiceWorker();
