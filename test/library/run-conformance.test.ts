// Patroni's acceptance features as scenarios (scenarios/conformance): each holds behave's limits.
import { describe } from 'vitest';
import { libraryTests } from './helpers.js';

describe('library: scenarios/conformance', () => {
  libraryTests(['scenarios/conformance']);
});
