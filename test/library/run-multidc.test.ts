// The library's multi-datacenter, cross-continent and store-comparison scenarios.
import { describe } from 'vitest';
import { libraryTests } from './helpers.js';

describe('library: scenarios/multi-dc, scenarios/wan, scenarios/stores', () => {
  libraryTests(['scenarios/multi-dc', 'scenarios/wan', 'scenarios/stores']);
});
