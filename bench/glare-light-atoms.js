/**
 * `npm run bench -- glare-light-atoms [--models a/dir,b/dir]`: how tall the refinement networks make
 * each species. On the alloy particles among validation seeds 1000010…1000013 at 1e6 and 1e4
 * e⁻/Å², every network's output is read at the true atom sites (the maximum over the 3³ voxels around
 * each) and summarised per species (median and 10th percentile) beside the target peak height
 * (Z/Z_max)^0.85. `--models` lists folders holding glare/ and unet/ (default: the shipped models/),
 * e.g. earlier weights checked out to scratch. Writes bench/results/glare-light-atoms.{json,md}.
 */
const path = require('node:path');
const { req, fmt, machineInfo, writeResults } = require('./_refine-bench');
const refine = req('refine');

const SEEDS = [0, 1, 2, 3].map((i) => refine.VALIDATION_SEED_BASE + 10 + i);
const DOSES = [1e6, 1e4];
const NETS = ['glare', 'unet'];

/** Output at each true atom site (max over the 3³ neighbourhood), grouped by species. */
function atSites(volume, truth) {
  const [nz, ny, nx] = volume.shape;
  const v = volume.voxelSizeA;
  const bySpecies = {};
  for (let a = 0; a < truth.species.length; a++) {
    const [x, y, z] = [0, 1, 2].map((k) => Math.round(truth.positionsA[3 * a + k] / v));
    let m = -Infinity;
    for (let dz = -1; dz <= 1; dz++)
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const [zz, yy, xx] = [z + dz, y + dy, x + dx];
          if (zz >= 0 && yy >= 0 && xx >= 0 && zz < nz && yy < ny && xx < nx)
            m = Math.max(m, volume.data[(zz * ny + yy) * nx + xx]);
        }
    (bySpecies[truth.species[a]] ??= []).push(m);
  }
  return bySpecies;
}

const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))];

exports.main = async function main(args) {
  const i = args.indexOf('--models');
  const dirs = i >= 0 ? args[i + 1].split(',') : [path.join(__dirname, '..', 'models')];
  const models = [];
  for (const d of dirs)
    for (const net of NETS) {
      const model = await refine.loadRefineModel(path.join(d, net));
      models.push({
        label: `${path.basename(path.resolve(d))}/${net} (${model.info.trainedSteps} steps)`,
        net,
        model,
      });
    }
  const rows = [];
  for (const seed of SEEDS)
    for (const dose of DOSES) {
      const spec = refine.sampleSpec(seed, { totalDoseEPerA2: dose });
      const pair = await refine.makePair(spec);
      const species = [...new Set(pair.truth.species)];
      if (species.length < 2) continue;
      const target = refine.targetWeights(species);
      for (const m of models) {
        const out = await refine.refineVolume(pair.reconstruction, {
          method: m.net,
          model: m.model,
          tiltsForPhysics: pair.tilts,
        });
        const sites = atSites(out, pair.truth);
        const perSpecies = Object.fromEntries(
          Object.entries(sites).map(([s, xs]) => [
            s,
            { atoms: xs.length, target: target[s], median: quantile(xs, 0.5), p10: quantile(xs, 0.1) },
          ]),
        );
        rows.push({
          seed,
          morphology: spec.morphology,
          composition: species.join(''),
          dose,
          model: m.label,
          perSpecies,
        });
        console.error(
          `${seed} ${species.join('')} ${dose.toExponential(0)} ${m.label}: ${JSON.stringify(perSpecies)}`,
        );
      }
    }
  const machine = machineInfo();
  const lines = [
    '| seed | particle | dose | model | per species: atoms, target height → output median (10th percentile) |',
    '| --- | --- | ---: | --- | --- |',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.seed} | ${r.morphology} ${r.composition} | ${r.dose.toExponential(0)} | ${r.model} | ${Object.entries(
        r.perSpecies,
      )
        .map(([s, x]) => `${s} (${x.atoms}): ${fmt(x.target, 2)} → ${fmt(x.median, 3)} (${fmt(x.p10, 3)})`)
        .join('; ')} |`,
    );
  const md = [
    '# Light atoms in the refined volume (validation split)',
    '',
    `The refinement networks' output at the true atom sites (max over the 3³ voxels around each), per species, beside the target peak height (Z/Z_max)^0.85; alloy particles among validation seeds ${SEEDS[0]}…${SEEDS[SEEDS.length - 1]}. Model folders: ${dirs.join(', ')}. Made by \`npm run bench -- glare-light-atoms${args.length ? ' ' + args.join(' ') : ''}\` on ${machine.cpus} cores, ${machine.date}.`,
    '',
    lines.join('\n'),
    '',
  ].join('\n');
  writeResults('glare-light-atoms', { machine, dirs, rows }, md);
};
