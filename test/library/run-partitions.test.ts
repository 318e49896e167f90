// The library's partition and mitigation scenarios.
import { describe } from 'vitest';
import { libraryTests } from './helpers.js';

describe('library: scenarios/partitions, scenarios/mitigations', () => {
  libraryTests(['scenarios/partitions', 'scenarios/mitigations']);
});
