// `haywire sweep`: a parameter grid with common random numbers (issue 8). Reserved until it lands.
import { reservedCommand } from './reserved.js';

export const sweepCommand = reservedCommand('sweep', '<scenario> --grid key=v1,v2 ... [--seeds N]', 'run a scenario over a grid of settings and compare incident rates', 'issue 8');
