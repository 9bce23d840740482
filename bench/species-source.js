/**
 * `npm run bench -- species-source`: with GLARE refinement (the pipeline default), does k-means label
 * species better from the refined volume (what `runPipeline` does) or from the reconstruction, at the
 * same traced atoms (traced positions kept: `fitPositions: false`)? FePt (`fept-lowdose`) at 3e3, 5e3 and 1e4 e⁻/Å², seeds 0–2; beside it the
 * pipeline without refinement. Writes bench/results/species-source.{json,md}.
 */
const { pct, machineInfo, writeResults } = require('./_refine-bench');
const pann = require('../kernel-lib/dist');

const SPECIES = ['Fe', 'Pt'];

exports.main = async function main() {
  const rows = [];
  for (const dose of [3e3, 5e3, 1e4])
    for (const seed of [0, 1, 2]) {
      const sim = await pann.simulate({ preset: 'fept-lowdose', totalDoseEPerA2: dose, seed });
      const none = pann.evaluate(
        (await pann.runPipeline(sim.tilts, { species: SPECIES, seed, refine: 'none', fitPositions: false, rFactor: false })).atoms,
        sim.truth,
      );
      const res = await pann.runPipeline(sim.tilts, {
        species: SPECIES,
        seed,
        refine: 'glare',
        fitPositions: false,
        rFactor: false,
      });
      const fromRefined = pann.evaluate(res.atoms, sim.truth);
      const fromRecon = pann.evaluate(
        pann.classifyKMeans(res.atoms, res.reconstruction, { species: SPECIES, seed }),
        sim.truth,
      );
      const row = {
        dose,
        seed,
        none: { recovery: none.recoveryRate, species: none.speciesAccuracy },
        glare: {
          recovery: fromRefined.recoveryRate,
          speciesFromRefined: fromRefined.speciesAccuracy,
          speciesFromReconstruction: fromRecon.speciesAccuracy,
        },
      };
      rows.push(row);
      console.error(JSON.stringify(row));
    }
  const machine = machineInfo();
  const md = [
    '# Where k-means reads species from, with GLARE refinement',
    '',
    `FePt (\`fept-lowdose\`), traced by \`runPipeline\` (traced positions kept, \`fitPositions: false\`); species accuracy over matched atoms (1 Å). "GLARE, labels from refined" is what the pipeline does (before its default fit to the tilts); "labels from reconstruction" classifies the same atoms from the RESIRE volume. Made by \`npm run bench -- species-source\` on ${machine.cpus} cores, ${machine.date}.`,
    '',
    '| dose (e⁻/Å²) | seed | none: recovery % / species % | GLARE: recovery % | GLARE, labels from refined % | GLARE, labels from reconstruction % |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.dose.toExponential(0)} | ${r.seed} | ${pct(r.none.recovery)} / ${pct(r.none.species)} | ${pct(r.glare.recovery)} | ${pct(r.glare.speciesFromRefined)} | ${pct(r.glare.speciesFromReconstruction)} |`,
    ),
    '',
  ].join('\n');
  writeResults('species-source', { machine, rows }, md);
};
