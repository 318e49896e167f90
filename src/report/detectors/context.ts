// What every detector reads: the history, the ground truth derived from it, the final lineage and
// the options. Built once per run by the analyzer.
import type { History } from '../history.js';
import { finalLineage, lineageOracle, snapshotOracle, type FinalLineage, type WriteOracle } from '../lineage.js';
import { resolveOptions, type DetectorOptions, type ResolvedOptions } from '../settings.js';
import { GroundTruth } from '../truth.js';

export interface DetectorContext {
  h: History;
  truth: GroundTruth;
  lineage: FinalLineage;
  oracle: WriteOracle;
  opts: ResolvedOptions;
}

export function detectorContext(h: History, options: DetectorOptions = {}, oracle?: WriteOracle): DetectorContext {
  const lineage = finalLineage(h);
  return {
    h,
    truth: new GroundTruth(h),
    lineage,
    oracle: oracle ?? snapshotOracle(h, lineage) ?? lineageOracle(h, lineage),
    opts: resolveOptions(h.settings, options),
  };
}
