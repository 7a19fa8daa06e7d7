// A simulation worker: its own WebAssembly instance, one Monte Carlo job per message.
// Messages in: {id, query} runs `simulate_json(query)`; {id, panel, key, plan, job} runs job
// `job` of a panel's plan (JSON), decoded once per `key` into a JobRunner; {id, planQuery}
// makes the plan of a heavy panel (`plan_for`), {id, planState} that of a whole state
// (`plan_for_state`: a spectrum too large for a query); {crash: true} throws (a test hook for the
// pool's restart path). Messages out: {id, result} or {id, error}; a panel job's result is
// {patches} with the patches as a JSON string, a plan's is {planned} (JSON).

import init, { simulate_json, plan_for, plan_for_state, JobRunner, warm_up } from './pkg/nqm_explorer.js';

// Warm up on start: run each walker kernel briefly, so that a figure's first Monte Carlo job
// runs in V8's optimising tier rather than its baseline tier (about half speed).
const ready = init().then(() => { warm_up(); });
let runner = null;
let runnerKey = null;

function jobsOf(panel, key, plan) {
  if (key !== runnerKey) {
    runner?.free();
    runner = null;
    runnerKey = null;
    runner = new JobRunner(String(panel), String(plan));
    runnerKey = key;
  }
  return runner;
}

self.onmessage = (event) => {
  const { id, query, planQuery, planState, panel, key, plan, job, crash } = event.data;
  if (crash) throw new Error('injected crash (test hook)');
  ready.then(() => {
    try {
      let result;
      if (Number.isInteger(job)) result = { patches: jobsOf(panel, key, plan).job(job) };
      else if (planQuery !== undefined) result = { planned: plan_for(String(planQuery)) };
      else if (planState !== undefined) result = { planned: plan_for_state(String(planState)) };
      else result = JSON.parse(simulate_json(String(query)));
      self.postMessage({ id, result });
    } catch (e) {
      self.postMessage({ id, error: String((e && e.message) || e) });
    }
  }, (e) => self.postMessage({ id, error: `WebAssembly did not load: ${e}` }));
};
