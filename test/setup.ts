// fast-check runs with a fixed seed (override with FC_SEED=<n> to explore); on failure fast-check
// prints the seed and path that replay the counterexample.
import fc from 'fast-check';

const seed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 20261123;
fc.configureGlobal({ seed, numRuns: Number(process.env.FC_RUNS ?? 100) });
