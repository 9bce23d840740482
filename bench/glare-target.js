/**
 * `npm run bench -- glare-target`: is tracing the limit? Traces the IDEAL target volume (one isotropic peak
 * per true atom, what GLARE is trained to output) of every held-out GLARE test particle with the pipeline's
 * rule (traceAtoms defaults → autoThreshold → selectAtoms), beside the raw reconstruction. Writes
 * bench/results/glare-target.md.
 */
const fs = require('node:fs');
const path = require('node:path');

const { req, traceAdaptive } = require('./_refine-bench');

const refine = req('refine');
const { evaluate } = req('metrics');

async function score(volume, truth) {
  const m = evaluate(await traceAdaptive(volume), truth);
  return `${(100 * m.recoveryRate).toFixed(1)} / ${(100 * m.falsePositiveRate).toFixed(1)} / ${m.rmsePm.toFixed(1)}`;
}

exports.main = async function main() {
  const lines = [];
  for (const spec of refine.testSpecs([1e6, 1e4], 1)) {
    const pair = await refine.makePair(spec);
    const row = `| ${spec.morphology} | ${[...new Set(pair.truth.species)].join('')} | ${spec.simulate.totalDoseEPerA2.toExponential(0)} | ${await score(pair.target, pair.truth)} | ${await score(pair.reconstruction, pair.truth)} |`;
    lines.push(row);
    console.error(row);
  }
  const md = ['# Tracing the ideal target volume (held-out GLARE test split)', '', `${new Date().toISOString()}. Made by \`npm run bench -- glare-target\`. recovery % / false positives % / RMSE pm, matched within 1 Å.`, '', '| morphology | species | dose (e⁻/Å²) | ideal target | raw reconstruction |', '| --- | --- | ---: | --- | --- |', ...lines, ''].join('\n');
  fs.writeFileSync(path.join(__dirname, 'results', 'glare-target.md'), md);
  console.log(md);
};
