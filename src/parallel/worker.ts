// A worker thread of the pool: runs the jobs it is sent, one at a time, and posts each result
// (or the error's message) back with the job's sequence number.
import { parentPort } from 'node:worker_threads';
import { runJob, type Job } from './jobs.js';

export interface WorkerRequest {
  seq: number;
  job: Job;
}

export type WorkerResponse = { seq: number; ok: true; result: unknown } | { seq: number; ok: false; error: string };

const port = parentPort;
if (port) {
  port.on('message', (req: WorkerRequest) => {
    let res: WorkerResponse;
    try {
      res = { seq: req.seq, ok: true, result: runJob(req.job) };
    } catch (e) {
      const err = e as Error;
      res = { seq: req.seq, ok: false, error: `${err.message}\n${err.stack ?? ''}` };
    }
    port.postMessage(res);
  });
}
