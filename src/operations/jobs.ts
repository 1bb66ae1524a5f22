/**
 * Background jobs (bulk loads), HarperDB-style: a job record in 'system:jobs' moves through
 * CREATED -> IN_PROGRESS -> COMPLETE | ERROR. Jobs left IN_PROGRESS by a crash are marked
 * ERROR on the next start.
 */
import { randomUUID } from 'node:crypto';
import { DbError } from '../errors/db-error.js';
import type { KvStore, StorageEngine } from '../storage/engine.js';

export type JobStatus = 'CREATED' | 'IN_PROGRESS' | 'COMPLETE' | 'ERROR';

export interface Job {
  id: string;
  user: string;
  type: string;
  status: JobStatus;
  /** A text, or HarperDB's 403 report object when a permission check refused the job's work. */
  message: string | Record<string, unknown>;
  job_body: Record<string, unknown>;
  created_datetime: number;
  start_datetime?: number;
  end_datetime?: number;
  start_datetime_converted?: string;
  end_datetime_converted?: string;
  __createdtime__: number;
  __updatedtime__: number;
}

export class Jobs {
  readonly #store: KvStore<Job>;
  readonly #engine: StorageEngine;
  readonly #running = new Set<Promise<unknown>>();

  constructor(engine: StorageEngine) {
    this.#engine = engine;
    this.#store = engine.openStore<Job>('system:jobs');
    const interrupted = [...this.#store.getRange()].filter(({ value }) => value.status === 'IN_PROGRESS' || value.status === 'CREATED');
    if (interrupted.length) {
      engine.transactionSync(() => {
        for (const { value } of interrupted) this.#store.put(value.id, { ...value, status: 'ERROR', message: 'interrupted by a restart of the node', __updatedtime__: Date.now() });
      });
    }
  }

  get(id: string): Job | undefined {
    return this.#store.get(id);
  }

  all(): Job[] {
    return [...this.#store.getRange()].map((e) => e.value);
  }

  byStartDate(from: number, to: number): Job[] {
    return [...this.#store.getRange()].map((e) => e.value).filter((j) => j.created_datetime >= from && j.created_datetime <= to);
  }

  /** Starts a job: records it, runs work in the background, records the outcome. */
  async start(type: string, user: string, body: Record<string, unknown>, work: () => Promise<string>): Promise<Job> {
    const now = Date.now();
    const job: Job = { id: randomUUID(), user, type, status: 'CREATED', message: '', job_body: body, created_datetime: now, __createdtime__: now, __updatedtime__: now };
    await this.#put(job);
    const run = (async () => {
      const started = Date.now();
      await this.#put({ ...job, status: 'IN_PROGRESS', start_datetime: started, start_datetime_converted: new Date(started).toISOString(), __updatedtime__: started });
      let status: JobStatus = 'COMPLETE', message: Job['message'];
      try {
        message = await work();
      } catch (err) {
        status = 'ERROR';
        message = err instanceof DbError && err.status === 403 && err.body ? { error: err.message, ...err.body } : (err as Error).message;
      }
      const ended = Date.now();
      await this.#put({ ...job, status, message, start_datetime: started, start_datetime_converted: new Date(started).toISOString(), end_datetime: ended, end_datetime_converted: new Date(ended).toISOString(), __updatedtime__: ended });
    })();
    this.#running.add(run);
    void run.finally(() => this.#running.delete(run));
    return job;
  }

  /** Waits for running jobs (shutdown). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.#running]);
  }

  #put(job: Job): Promise<void> {
    return this.#engine.transaction(() => this.#store.put(job.id, job));
  }
}
