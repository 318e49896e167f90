// A pool of worker threads running jobs (src/parallel/jobs.ts). Results come back in job order
// whatever thread ran them, and a job's result depends only on the job, so a run on N threads
// gives exactly what one thread gives. With one worker the jobs run in this thread.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { runJob, type Job, type JobResult } from './jobs.js';
import type { WorkerRequest, WorkerResponse } from './worker.js';

/** Cores available to this process (at least 1). */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** Running from the TypeScript sources (tests): workers load .ts through a small transpiling hook. */
function workerSpec(): { url: URL; execArgv: string[] } {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    const hooks = new URL('./tsHooks.mjs', self).href;
    const register = `data:text/javascript,import{register}from'node:module';register(${encodeURIComponent(JSON.stringify(hooks))});`;
    return { url: new URL('./worker.ts', self), execArgv: ['--import', register] };
  }
  return { url: new URL('./worker.js', self), execArgv: [] };
}

interface Pending {
  resolve: (r: unknown) => void;
  reject: (e: Error) => void;
}

class ThreadWorker {
  private readonly w: Worker;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  busy = false;

  constructor() {
    const spec = workerSpec();
    this.w = new Worker(spec.url, { execArgv: spec.execArgv });
    this.w.on('message', (res: WorkerResponse) => {
      const p = this.pending.get(res.seq);
      if (!p) return;
      this.pending.delete(res.seq);
      if (res.ok) p.resolve(res.result);
      else p.reject(new Error(`worker: ${res.error}`));
    });
    this.w.on('error', (e) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    });
  }

  run(job: Job): Promise<unknown> {
    const seq = this.seq++;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      const req: WorkerRequest = { seq, job };
      this.w.postMessage(req);
    });
  }

  async close(): Promise<void> {
    await this.w.terminate();
  }
}

export interface RunJobsOptions<J extends Job> {
  /** Threads (default: the available cores, at most the number of jobs). 1: this thread. */
  workers?: number;
  /**
   * Stop after this result: jobs after it (in job order) are not started; jobs before it that are
   * already running finish. The results of jobs never started are undefined.
   */
  stopAfter?: (result: JobResult<J>, index: number) => boolean;
  /** Called as each result arrives (any order). */
  onResult?: (result: JobResult<J>, index: number) => void;
}

/** Run jobs; results in job order. Jobs are started in order, so with `stopAfter` every job before the first stopping one has run. */
export async function runJobs<J extends Job>(jobs: readonly J[], opts: RunJobsOptions<J> = {}): Promise<(JobResult<J> | undefined)[]> {
  const results: (JobResult<J> | undefined)[] = new Array<JobResult<J> | undefined>(jobs.length).fill(undefined);
  const n = Math.max(1, Math.min(opts.workers ?? defaultWorkers(), jobs.length));
  let stopAt = Number.POSITIVE_INFINITY;
  const accept = (r: JobResult<J>, i: number): void => {
    results[i] = r;
    opts.onResult?.(r, i);
    if (opts.stopAfter?.(r, i) && i < stopAt) stopAt = i;
  };
  if (n === 1) {
    for (let i = 0; i < jobs.length && i < stopAt; i++) accept(runJob(jobs[i] as J), i);
    return results;
  }
  const workers = Array.from({ length: n }, () => new ThreadWorker());
  let next = 0;
  try {
    await Promise.all(
      workers.map(async (w) => {
        while (next < jobs.length && next < stopAt) {
          const i = next++;
          const r = (await w.run(jobs[i] as J)) as JobResult<J>;
          accept(r, i);
        }
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
  return results;
}
