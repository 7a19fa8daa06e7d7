// The slides example: reveal.js from the local vendor copy (www/vendor/, made by `make dist`).
// reveal.js loads an <iframe data-src> when its slide is shown and unloads it when the slide is
// left (unless it has data-preload; then it sends the frame 'slide:stop' and 'slide:start').

import Reveal from '../vendor/reveal.js/reveal.mjs';

const deck = new Reveal({ hash: true, width: 1100, height: 760, margin: 0.04, autoAnimate: false, transition: 'none' });
deck.initialize().then(() => {
  window.deck = deck; // for the browser tests
  document.documentElement.dataset.ready = '1';
});
