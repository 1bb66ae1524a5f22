/**
 * The scan worker's main-thread side: one worker thread, started on the first parallel
 * aggregate and stopped with the node. A job is one key range of one statement; jobs run in
 * order. A job that fails, or a worker that dies, gives null: the caller reads that range itself.
 */
import { Worker } from 'node:worker_threads';
import type { ScanJob, ScanResult } from './scan-worker.js';

export class ScanWorker {
  readonly #script: URL;
  #worker: Worker | undefined;
  #pending = new Map<number, (r: ScanResult | null) => void>();
  #nextId = 1;
  #closed = false;

  /** `script` replaces the worker's module (tests use one that fails). */
  constructor(script: URL = new URL('./scan-worker.js', import.meta.url)) {
    this.#script = script;
  }

  /** Aggregates one range in the worker; null when it could not (the caller then reads the range). */
  run(job: Omit<ScanJob, 'id'>): Promise<ScanResult | null> {
    if (this.#closed) return Promise.resolve(null);
    const w = this.#start();
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, (r) => resolve(r && !r.error ? r : null));
      w.postMessage({ ...job, id });
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(this.#script);
    w.unref();
    w.on('message', (m: ScanResult) => {
      const done = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      done?.(m);
    });
    const fail = () => {
      if (this.#worker === w) this.#worker = undefined;
      const pending = [...this.#pending.values()];
      this.#pending.clear();
      for (const done of pending) done(null);
    };
    w.on('error', fail);
    w.on('exit', fail);
    this.#worker = w;
    return w;
  }

  /** Lets the worker close its storage handle, then ends it. */
  async close(): Promise<void> {
    this.#closed = true;
    const w = this.#worker;
    this.#worker = undefined;
    if (!w) return;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.postMessage({ close: true });
    const timer = setTimeout(() => void w.terminate(), 2000);
    await exited;
    clearTimeout(timer);
  }
}
