// A simulation worker: its own WebAssembly instance, one Monte Carlo point per message.
// Messages in: {id, query} runs `simulate_json(query)`; {crash: true} throws (a test hook for
// the pool's restart path). Messages out: {id, result} or {id, error}.

import init, { simulate_json } from './pkg/nqm_explorer.js';

const ready = init();

self.onmessage = (event) => {
  const { id, query, crash } = event.data;
  if (crash) throw new Error('injected crash (test hook)');
  ready.then(() => {
    try {
      self.postMessage({ id, result: JSON.parse(simulate_json(String(query))) });
    } catch (e) {
      self.postMessage({ id, error: String((e && e.message) || e) });
    }
  }, (e) => self.postMessage({ id, error: `WebAssembly did not load: ${e}` }));
};
