// The library's DCS scenarios (one per store and its failure modes) and the examples.
import { describe } from 'vitest';
import { libraryTests } from './helpers.js';

describe('library: scenarios/dcs, scenarios/examples', () => {
  libraryTests(['scenarios/dcs', 'scenarios/examples']);
});
