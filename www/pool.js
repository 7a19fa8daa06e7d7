// A pool of simulation workers for parameter sweeps: one Monte Carlo job per message, split
// across `size` workers (navigator.hardwareConcurrency by default), each with its own
// WebAssembly instance. A newer run supersedes an older one; cancel() terminates the busy
// workers at once (and starts fresh ones), so it takes effect immediately; a worker that throws
// or dies is restarted with a message and its point is run again (once).

export class Pool {
  constructor({ size = navigator.hardwareConcurrency || 2, url = new URL('./worker.js', import.meta.url), onStatus = () => {} } = {}) {
    this.size = Math.max(1, size);
    this.url = url;
    this.onStatus = onStatus;
    this.workers = [];
    this.jobs = new Map(); // worker index -> {point, tries}
    this.run = null;
    this.nextId = 1;
    for (let i = 0; i < this.size; i++) this.workers.push(this.spawn(i));
  }

  spawn(i) {
    const w = new Worker(this.url, { type: 'module' });
    w.onmessage = (e) => this.done(i, e.data);
    w.onerror = (e) => {
      e.preventDefault();
      this.restart(i, e.message || 'the worker threw');
    };
    return w;
  }

  restart(i, why) {
    this.workers[i].terminate();
    this.workers[i] = this.spawn(i);
    const job = this.jobs.get(i);
    this.jobs.delete(i);
    this.onStatus(`A simulation worker stopped (${why}); it was restarted${job ? ' and its point is being run again' : ''}.`);
    if (job && this.run) {
      if (job.tries < 2) this.run.queue.unshift({ point: job.point, tries: job.tries + 1 });
      else this.finishPoint(job.point, { error: `failed twice: ${why}` });
    }
    this.feed();
  }

  // Runs one job per point — a query string (a `simulate` run), {panel, key, plan, job} (job
  // `job` of a panel's plan, given as JSON, which a worker decodes once per key) or
  // {planQuery} or {planState} (a heavy panel's plan of a query or of a whole state, made in
  // the worker); resolves
  // {results, cancelled, reason, seconds}.
  sweep(queries, { onPoint = () => {}, onProgress = () => {} } = {}) {
    if (this.run) this.cancel('superseded by a newer request');
    return new Promise((resolve) => {
      this.run = {
        id: this.nextId++,
        queries,
        results: new Array(queries.length).fill(null),
        remaining: queries.length,
        queue: queries.map((_, point) => ({ point, tries: 0 })),
        onPoint,
        onProgress,
        resolve,
        start: performance.now(),
      };
      if (queries.length === 0) this.finish(false);
      else this.feed();
    });
  }

  feed() {
    const run = this.run;
    if (!run) return;
    for (let i = 0; i < this.size && run.queue.length; i++) {
      if (this.jobs.has(i)) continue;
      const job = run.queue.shift();
      this.jobs.set(i, job);
      const item = run.queries[job.point];
      let message;
      if (typeof item === 'string') message = { id: run.id, query: item };
      else if (item.planQuery !== undefined) message = { id: run.id, planQuery: item.planQuery };
      else if (item.planState !== undefined) message = { id: run.id, planState: item.planState };
      else message = { id: run.id, panel: item.panel, key: item.key, plan: item.plan, job: item.job };
      this.workers[i].postMessage(message);
    }
  }

  done(i, msg) {
    const job = this.jobs.get(i);
    this.jobs.delete(i);
    if (!this.run || msg.id !== this.run.id || !job) return; // a stale answer
    if (msg.error && job.tries < 1) {
      // A trap in WebAssembly can leave the instance unusable: start a fresh one and retry.
      this.jobs.set(i, job);
      this.restart(i, msg.error);
      return;
    }
    this.finishPoint(job.point, msg.error ? { error: msg.error } : msg.result);
    this.feed();
  }

  finishPoint(point, result) {
    const run = this.run;
    run.results[point] = result;
    run.remaining -= 1;
    run.onPoint(point, result);
    run.onProgress(run.queries.length - run.remaining, run.queries.length);
    if (run.remaining === 0) this.finish(false);
  }

  finish(cancelled, reason) {
    const run = this.run;
    this.run = null;
    run.resolve({ results: run.results, cancelled, reason, seconds: (performance.now() - run.start) / 1000 });
  }

  cancel(reason = 'cancelled') {
    if (!this.run) return;
    for (const i of [...this.jobs.keys()]) {
      this.workers[i].terminate();
      this.workers[i] = this.spawn(i);
      this.jobs.delete(i);
    }
    this.finish(true, reason);
  }

  // Test hook: make worker i throw.
  crash(i = 0) {
    this.workers[i].postMessage({ crash: true });
  }
}
