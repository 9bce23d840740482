/**
 * `npm run bench -- light-surface [--models A,B,…]`: where the refinement networks lose light atoms.
 * (1) Validation split (the alloy particles among seeds 1000010…1000029, 1e6 / 1e5 / 1e4 e⁻/Å²):
 * recovery of light and heavy atoms on the outer surface (`sim.surfaceAtoms`) and inside, for the
 * U-Net and GLARE of each model folder (default: the shipped `models`). (2) The test split's PtFe
 * sphere at 1e6: its Fe by place (outer / inner) and outcome (found / missed), with the median value
 * at those atoms (max over the 3³ voxels around each) of the raw reconstruction and of each net's
 * output, as a fraction of the median at the Pt atoms. Writes bench/results/light-surface.{json,md}.
 */
const path = require('node:path');
const { req, pct, fmt, machineInfo, writeResults, traceAdaptive } = require('./_refine-bench');

const refine = req('refine');
const sim = req('sim');
const { matchAtoms } = req('metrics');

const NETS = ['unet', 'glare'];
const DOSES = [1e6, 1e5, 1e4];
const FIRST_SEED = refine.VALIDATION_SEED_BASE + 10;
const PARTICLES = 20;

/** Which true atoms the pipeline's cut on `volume` recovers (within 1 Å). */
async function recovered(volume, truth) {
  return new Set(matchAtoms(await traceAdaptive(volume), truth, { rMatchA: 1 }).truthIndex);
}

/** Max of `volume` over the 3³ voxels around atom a. */
function valueAt(volume, truth, a) {
  const [, ny, nx] = volume.shape;
  const v = volume.voxelSizeA;
  const [i, j, k] = [0, 1, 2].map((d) => Math.round(truth.positionsA[3 * a + d] / v));
  let m = -Infinity;
  for (let dk = -1; dk <= 1; dk++)
    for (let dj = -1; dj <= 1; dj++)
      for (let di = -1; di <= 1; di++) m = Math.max(m, volume.data[((k + dk) * ny + j + dj) * nx + i + di]);
  return m;
}

const median = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[xs.length >> 1] : NaN);

exports.main = async function main(args) {
  const i = args.indexOf('--models');
  const dirs = i >= 0 ? args[i + 1].split(',') : ['models'];
  const root = path.join(__dirname, '..');
  const models = {};
  for (const d of dirs) {
    const abs = path.resolve(root, d);
    models[d] = Object.fromEntries(
      await Promise.all(NETS.map(async (n) => [n, await refine.loadRefineModel(path.join(abs, n))])),
    );
  }
  /** Refines `pair` with every net of every folder and calls fn(folder, net, volume, recovered atoms). */
  const eachNet = async (pair, fn) => {
    for (const d of dirs)
      for (const net of NETS) {
        const vol = await refine.refineVolume(pair.reconstruction, {
          method: net,
          model: models[d][net],
          tiltsForPhysics: pair.tilts,
        });
        fn(d, net, vol, await recovered(vol, pair.truth));
      }
  };
  // (1) validation alloys
  const counts = {}; // `${dir}|${net}|${dose}|${light|heavy}|${outer|inner}` → [atoms, recovered]
  for (let p = 0; p < PARTICLES; p++)
    for (const dose of DOSES) {
      const spec = refine.sampleSpec(FIRST_SEED + p, { totalDoseEPerA2: dose });
      if (spec.morphology === 'amorphous' || spec.compositionKind === 'pure') continue;
      const pair = await refine.makePair(spec);
      const T = pair.truth;
      const heights = refine.targetWeights([...new Set(T.species)]);
      const outer = sim.surfaceAtoms(T.positionsA);
      await eachNet(pair, (d, net, vol, rec) =>
        T.species.forEach((s, a) => {
          const key = `${d}|${net}|${dose}|${heights[s] < 1 ? 'light' : 'heavy'}|${outer[a] ? 'outer' : 'inner'}`;
          const c = (counts[key] ??= [0, 0]);
          c[0]++;
          c[1] += rec.has(a) ? 1 : 0;
        }),
      );
      console.error(`validation ${spec.seed} ${spec.morphology} ${dose.toExponential(0)} done`);
    }
  // (2) the test PtFe sphere at 1e6
  const spec = refine.testSpecs([1e6], 1, ['sphere'])[0];
  const pair = await refine.makePair(spec);
  const T = pair.truth;
  const outer = sim.surfaceAtoms(T.positionsA);
  const ptMedian = (vol) => median(T.species.flatMap((s, a) => (s === 'Pt' ? [valueAt(vol, T, a)] : [])));
  const rawPt = ptMedian(pair.reconstruction);
  const sphere = [];
  await eachNet(pair, (d, net, vol, rec) => {
    const netPt = ptMedian(vol);
    for (const place of ['outer', 'inner'])
      for (const found of [true, false]) {
        const idx = T.species.flatMap((s, a) =>
          s === 'Fe' && outer[a] === (place === 'outer') && rec.has(a) === found ? [a] : [],
        );
        sphere.push({
          dir: d,
          net,
          place,
          outcome: found ? 'found' : 'missed',
          atoms: idx.length,
          rawOverPt: median(idx.map((a) => valueAt(pair.reconstruction, T, a))) / rawPt,
          netOverPt: median(idx.map((a) => valueAt(vol, T, a))) / netPt,
        });
      }
  });
  const machine = machineInfo();
  const rate = (k) => (counts[k] ? counts[k][1] / counts[k][0] : NaN);
  const valRows = [];
  for (const d of dirs)
    for (const net of NETS)
      valRows.push(
        `| ${d} | ${net} | ${DOSES.map((dose) => ['light|outer', 'light|inner', 'heavy|outer', 'heavy|inner'].map((g) => pct(rate(`${d}|${net}|${dose}|${g}`))).join(' / ')).join(' | ')} |`,
      );
  const atomsOf = (g) => counts[`${dirs[0]}|unet|${DOSES[0]}|${g}`]?.[0] ?? 0;
  const md = [
    '# Where light atoms are lost: outer surface and inside',
    '',
    `Outer surface = \`sim.surfaceAtoms\` (coordination below 0.8 × the particle's 90th-percentile coordination, neighbours within 1.2 × the median nearest-neighbour distance). Tracing with the pipeline's adaptive cut, matched within 1 Å; nets given the tilt angles, one pass. Model folders: ${dirs.join(', ')}. Made by \`npm run bench -- light-surface${args.length ? ' ' + args.join(' ') : ''}\` on ${machine.cpus} cores, ${machine.date}.`,
    '',
    `## Validation split: recovery % (the alloy particles among seeds ${FIRST_SEED}…${FIRST_SEED + PARTICLES - 1}; per dose: light outer / light inner / heavy outer / heavy inner; atoms per dose ${['light|outer', 'light|inner', 'heavy|outer', 'heavy|inner'].map(atomsOf).join(' / ')})`,
    '',
    `| models | net | ${DOSES.map((d) => `${d.toExponential(0)} e⁻/Å²`).join(' | ')} |`,
    `| --- | --- | ${DOSES.map(() => '---').join(' | ')} |`,
    ...valRows,
    '',
    `## Test split: the Fe of the PtFe sphere at 1e6 e⁻/Å² (seed ${spec.seed}, ${T.species.length} atoms)`,
    '',
    'Value = median over the group of the max over the 3³ voxels around each atom, as a fraction of the same median over the Pt atoms (raw reconstruction, and the net’s own output).',
    '',
    '| models | net | Fe | atoms | raw / Pt | net / Pt |',
    '| --- | --- | --- | ---: | ---: | ---: |',
    ...sphere.map(
      (r) =>
        `| ${r.dir} | ${r.net} | ${r.place}, ${r.outcome} | ${r.atoms} | ${fmt(r.rawOverPt, 2)} | ${fmt(r.netOverPt, 2)} |`,
    ),
    '',
  ];
  writeResults('light-surface', { machine, dirs, counts, sphere }, md.join('\n'), 1);
};
