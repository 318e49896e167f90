// The units of work a pool runs: pure functions of plain data (a scenario text, a file name, a
// schedule or a grid point), so a job gives the same result in any thread or on any machine.
import { runScheduleJob, type ScheduleJob, type ScheduleRunResult } from '../explore/property.js';
import { runSweepJob, type SweepJob, type SweepRunResult } from '../sweep/run.js';

export type Job = ScheduleJob | SweepJob;
export type JobResult<J extends Job> = J extends ScheduleJob ? ScheduleRunResult : J extends SweepJob ? SweepRunResult : never;

export function runJob<J extends Job>(job: J): JobResult<J> {
  switch (job.kind) {
    case 'schedule':
      return runScheduleJob(job) as JobResult<J>;
    case 'sweep':
      return runSweepJob(job) as JobResult<J>;
  }
}
