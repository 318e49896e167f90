// `haywire replay`: the interactive terminal replay (issue 9). Reserved until it lands.
import { reservedCommand } from './reserved.js';

export const replayCommand = reservedCommand('replay', '<trace-file | scenario-file>', 'walk through a run in the terminal, step by step', 'issue 9');
