/** Human-readable summary of a `pann run` (printed on stderr). */
import type { Summary } from '../pipeline/run-files';

export function formatRunSummary(s: Summary): string {
  const species = Object.entries(s.counts.bySpecies).map(([k, v]) => `${k} ${v}`).join(', ');
  const times = Object.entries(s.stageTimesS).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ');
  const lines = [
    '',
    `pann run: ${s.inputs.nAngles} projections of ${s.inputs.tiltShape[1]}×${s.inputs.tiltShape[2]} px at ${s.inputs.pixelSizeA} Å`,
    `  atoms: ${s.counts.atoms} (${species || 'none'}) of ${s.counts.candidates} candidates, threshold ${s.threshold.toPrecision(3)}`,
    `  R-factor: ${s.rFactor === null ? '—' : s.rFactor.toFixed(4)}`,
    ...(s.positionFit
      ? [`  positions fitted to the tilts: atoms moved ${(100 * s.positionFit.meanAtomShiftA).toFixed(0)} pm on average, projection misalignment found ${(100 * s.positionFit.misalignmentRmsA).toFixed(0)} pm RMS (${(s.positionFit.misalignmentZ2 ?? NaN).toFixed(1)}× its noise in z²${s.positionFit.realigned ? '; series realigned from a first fit and traced again' : ''}); ${s.positionFit.unsupportedDropped} unsupported atoms dropped${s.positionFit.vacantSites ? `; ${s.positionFit.vacantSites.proposed} empty lattice sites proposed, ${s.positionFit.vacantSites.kept} kept` : ''}`]
      : []),
    `  time: ${s.totalTimeS.toFixed(1)} s (${times})`,
  ];
  if (s.metrics) {
    const m = s.metrics;
    lines.push(`  vs truth: recovery ${(100 * m.recoveryRate).toFixed(1)} %, false positives ${(100 * m.falsePositiveRate).toFixed(1)} %, RMSE ${m.rmsePm.toFixed(1)} pm (${m.rmseShiftRemovedPm.toFixed(1)} pm shift removed), species ${(100 * m.speciesAccuracy).toFixed(1)} %`);
  }
  lines.push(`  outputs: ${Object.values(s.outputs).join(', ')}`, '');
  return lines.join('\n');
}
