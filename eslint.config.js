// Lint rules. The one that matters most: nothing under src/sim may read wall-clock time,
// unseeded randomness or real timers — every run must be a pure function of scenario and seed.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const forbiddenInSim = [
  { name: 'Date', message: 'src/sim must not read wall-clock time; use the simulated clock (sim.nowUs, host clocks).' },
  { name: 'setTimeout', message: 'src/sim must not use real timers; schedule events on the kernel.' },
  { name: 'setInterval', message: 'src/sim must not use real timers; schedule events on the kernel.' },
  { name: 'setImmediate', message: 'src/sim must not use real timers; schedule events on the kernel.' },
  { name: 'queueMicrotask', message: 'src/sim must not use the host event loop; schedule events on the kernel.' },
  { name: 'performance', message: 'src/sim must not read wall-clock time.' },
  { name: 'process', message: 'src/sim must not read the environment or the host process.' },
  { name: 'crypto', message: 'src/sim must not use unseeded randomness; use sim.rng(name).' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '!eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['src/sim/**/*.ts', 'src/sim/**/*.tsx'],
    rules: {
      'no-restricted-globals': ['error', ...forbiddenInSim],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'src/sim must use seeded streams: sim.rng(name).' },
        { object: 'Date', property: 'now', message: 'src/sim must not read wall-clock time.' },
        { object: 'performance', property: 'now', message: 'src/sim must not read wall-clock time.' },
        { object: 'globalThis', property: 'Date', message: 'src/sim must not read wall-clock time.' },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'node:timers', message: 'no real timers in src/sim' },
            { name: 'timers', message: 'no real timers in src/sim' },
            { name: 'node:perf_hooks', message: 'no wall-clock in src/sim' },
            { name: 'node:crypto', message: 'no unseeded randomness in src/sim' },
            { name: 'crypto', message: 'no unseeded randomness in src/sim' },
            { name: 'node:fs', message: 'src/sim does no I/O; inject a sink' },
            { name: 'fs', message: 'src/sim does no I/O; inject a sink' },
            { name: 'node:os', message: 'src/sim must not read the environment' },
          ],
        },
      ],
    },
  },
);
