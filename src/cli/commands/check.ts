// `haywire check`: generated fault schedules with shrinking (issue 8). Reserved until it lands.
import { reservedCommand } from './reserved.js';

export const checkCommand = reservedCommand(
  'check',
  '<scenario> [--runs N] [--seed S]',
  'explore generated fault schedules for a scenario\'s cluster, shrink the first failure to a minimal scenario',
  'issue 8',
);
