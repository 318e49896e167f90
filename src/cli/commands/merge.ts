// `haywire merge`: combine shard results (issue 8). Reserved until it lands.
import { reservedCommand } from './reserved.js';

export const mergeCommand = reservedCommand('merge', '<result.json>... [--json FILE] [--html FILE]', 'combine the results of sharded check or sweep runs into one report', 'issue 8');
