#!/usr/bin/env node
// haywire command line (placeholder until the scenario CLI lands): runs the kernel demo.
import { runPingDemo } from '../demo/pingDemo.js';

const r = runPingDemo(process.argv[2] ?? '1');
for (const l of r.lines) console.log(l);
