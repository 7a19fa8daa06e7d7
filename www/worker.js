// A simulation worker: its own WebAssembly instance, one Monte Carlo job per message.
// Messages in: {id, query} runs `simulate_json(query)`; {id, query, job} runs job `job` of the
// figure panel the query describes (`panel_job`); {crash: true} throws (a test hook for the
// pool's restart path). Messages out: {id, result} or {id, error}; a panel job's result is
// {patches} with the patches as a JSON string.

import init, { simulate_json, panel_job } from './pkg/nqm_explorer.js';

const ready = init();

self.onmessage = (event) => {
  const { id, query, job, crash } = event.data;
  if (crash) throw new Error('injected crash (test hook)');
  ready.then(() => {
    try {
      const result = Number.isInteger(job)
        ? { patches: panel_job(String(query), job) }
        : JSON.parse(simulate_json(String(query)));
      self.postMessage({ id, result });
    } catch (e) {
      self.postMessage({ id, error: String((e && e.message) || e) });
    }
  }, (e) => self.postMessage({ id, error: `WebAssembly did not load: ${e}` }));
};
