/**
 * `npm run bench -- glare-threshold [--particles n]`: how to cut traced peaks on a REFINED volume,
 * chosen on the VALIDATION split (never the test split the glare bench reports).
 *
 * The networks are trained with a mean-squared voxel loss to a target with a peak of height w_s per
 * atom of species s (refine/data.ts targetWeights: (Z/Z_max)^0.85). An MSE-trained output is the
 * posterior mean, so where the network is unsure whether an atom is there it draws a peak of about
 * P(atom)·w_s: a cut at a fixed fraction f of the lightest species' height w_min is a cut on that
 * probability. This script measures recovery / false positives / RMSE for the pipeline's adaptive
 * rule (autoThreshold) and for f·w_min at several f, for the plain U-Net and GLARE, on particles of
 * the validation split at 1e5, 1e4 and 3e3 e⁻/Å², and names the f with the best mean
 * (recovery − false-positive rate) over both networks and all doses.
 * Writes bench/results/glare-threshold.json and .md. PANN_MODELS_DIR picks other weights.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { req, pct, fmt, numberArg, loadNets } = require('./_refine-bench');
const refine = req('refine');
const { traceAtoms, selectAtoms, autoThreshold } = req('trace');
const { evaluate } = req('metrics');

const RESULTS = path.join(__dirname, 'results');
const DOSES = [1e5, 1e4, 3e3];
const FRACTIONS = [0.2, 0.3, 0.4, 0.5, 0.6];
const NETS = ['unet', 'glare'];
// c=f: refinedThreshold (refine/threshold.ts): f · w_min, lowered when the volume's strongest peaks stay below their calibrated height
const SCALED = [0.2, 0.3, 0.4];
const RULES = ['auto', ...FRACTIONS.map((f) => `f=${f}`), ...SCALED.map((f) => `c=${f}`)];
// validation seeds past the 3 that training monitors
const FIRST_SEED = refine.VALIDATION_SEED_BASE + 10;


function score(atoms, truth) {
  const m = evaluate(atoms, truth);
  return { recovery: m.recoveryRate, falsePositive: m.falsePositiveRate, rmsePm: m.rmsePm };
}

exports.main = async function main(args) {
  const nParticles = numberArg(args, '--particles', 10);
  const models = await loadNets(refine, NETS);
  const rows = [];
  for (let p = 0; p < nParticles; p++) {
    for (const dose of DOSES) {
      const spec = refine.sampleSpec(FIRST_SEED + p, { totalDoseEPerA2: dose });
      const pair = await refine.makePair(spec);
      const species = [...new Set(pair.truth.species)];
      const wMin = Math.min(...Object.values(refine.targetWeights(species)));
      const results = {};
      for (const net of NETS) {
        const vol = await refine.refineVolume(pair.reconstruction, { method: net, model: models[net], tiltsForPhysics: pair.tilts });
        const tr = await traceAtoms(vol, {});
        results[net] = { auto: score(selectAtoms(tr, { threshold: autoThreshold(tr) }), pair.truth) };
        for (const f of FRACTIONS) results[net][`f=${f}`] = score(selectAtoms(tr, { threshold: f * wMin }), pair.truth);
        for (const f of SCALED) results[net][`c=${f}`] = score(selectAtoms(tr, { threshold: refine.refinedThreshold(tr, species, { fraction: f }) }), pair.truth);
      }
      rows.push({ seed: spec.seed, morphology: spec.morphology, species: species.join(''), totalDose: dose, wMin, results });
      console.error(`${spec.morphology} ${species.join('')} ${dose.toExponential(0)}: ` + NETS.map((n) => `${n} auto ${pct(results[n].auto.recovery)}/${pct(results[n].auto.falsePositive)} f=0.4 ${pct(results[n]['f=0.4'].recovery)}/${pct(results[n]['f=0.4'].falsePositive)}`).join(', '));
    }
  }
  // mean per (net, rule, dose)
  const agg = {};
  for (const net of NETS)
    for (const rule of RULES)
      for (const dose of DOSES) {
        const rs = rows.filter((r) => r.totalDose === dose).map((r) => r.results[net][rule]);
        const mean = (k) => rs.reduce((s, r) => s + r[k], 0) / rs.length;
        const rm = rs.map((r) => r.rmsePm).filter(Number.isFinite);
        agg[`${net}|${rule}|${dose}`] = { recovery: mean('recovery'), falsePositive: mean('falsePositive'), rmsePm: Math.sqrt(rm.reduce((s, x) => s + x * x, 0) / Math.max(1, rm.length)) };
      }
  const merit = (rule) => {
    let s = 0;
    for (const net of NETS) for (const dose of DOSES) s += agg[`${net}|${rule}|${dose}`].recovery - agg[`${net}|${rule}|${dose}`].falsePositive;
    return s / (NETS.length * DOSES.length);
  };
  const ranked = RULES.map((r) => ({ rule: r, merit: merit(r) })).sort((a, b) => b.merit - a.merit);
  // the amorphous Si particle: every rule scores near or below 0 there (its GLARE/U-Net output is mostly
  // ghosts), so a rule that keeps NOTHING gains tens of points on it alone — rank without it too
  const crystalline = rows.filter((r) => r.morphology !== 'amorphous');
  const meritCrystalline = (rule) => {
    let s = 0;
    for (const net of NETS)
      for (const dose of DOSES) {
        const rs = crystalline.filter((r) => r.totalDose === dose).map((r) => r.results[net][rule]);
        s += rs.reduce((a, r) => a + r.recovery - r.falsePositive, 0) / rs.length;
      }
    return s / (NETS.length * DOSES.length);
  };
  const rankedCrystalline = RULES.map((r) => ({ rule: r, merit: meritCrystalline(r) })).sort((a, b) => b.merit - a.merit);
  const bestFraction = ranked.filter((r) => r.rule !== 'auto')[0];
  const machine = { cpus: os.cpus().length, node: process.version, date: new Date().toISOString(), loadAvg: os.loadavg()[0] };
  const info = Object.fromEntries(NETS.map((n) => [n, { steps: models[n].info.trainedSteps, arch: models[n].arch }]));
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, 'glare-threshold.json'), JSON.stringify({ machine, models: info, doses: DOSES, fractions: FRACTIONS, ranked, rankedCrystalline, aggregate: agg, rows }, null, 1) + '\n');
  const head = ['network', 'rule', ...DOSES.map((d) => `${d.toExponential(0)} rec. % / FP % / RMSE pm`)];
  const md = [
    '# Cutting peaks on a refined volume (validation split)',
    '',
    `${nParticles} particles of the validation split (seeds ${FIRST_SEED}…${FIRST_SEED + nParticles - 1}, drawn like the training data; never the test split), each at ${DOSES.map((d) => d.toExponential(0)).join(', ')} e⁻/Å², refined by the shipped networks (${NETS.map((n) => `${n} ${info[n].steps} steps`).join(', ')}) with the series' tilt angles, traced with the pipeline's defaults, then cut by the adaptive rule (auto = autoThreshold), at f × w_min, w_min the lightest species' target peak height (Z/Z_max)^0.85, or at c × w_min × min(1, level / 0.5) (refinedThreshold, level = 90th percentile of the traced peaks the adaptive rule keeps: lowers the cut when a network's strongest peaks stay below their calibrated height). Means over particles; RMSE pooled. Made by \`npm run bench -- glare-threshold${args.length ? ' ' + args.join(' ') : ''}\` on ${machine.cpus} cores, ${machine.date}.`,
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, k) => (k < 2 ? '---' : '---:')).join(' | ')} |`,
    ...NETS.flatMap((net) => RULES.map((rule) => `| ${net} | ${rule} | ${DOSES.map((d) => { const a = agg[`${net}|${rule}|${d}`]; return `${pct(a.recovery)} / ${pct(a.falsePositive)} / ${fmt(a.rmsePm)}`; }).join(' | ')} |`)),
    '',
    '## Mean (recovery − false-positive rate) over both networks and the three doses',
    '',
    '| rule | merit |',
    '| --- | ---: |',
    ...ranked.map((r) => `| ${r.rule} | ${(100 * r.merit).toFixed(1)} |`),
    '',
    `## The same without the amorphous particle (${crystalline.length / DOSES.length} crystalline particles)`,
    '',
    '| rule | merit |',
    '| --- | ---: |',
    ...rankedCrystalline.map((r) => `| ${r.rule} | ${(100 * r.merit).toFixed(1)} |`),
    '',
    `Best rule other than auto: ${bestFraction.rule} (${(100 * bestFraction.merit).toFixed(1)}); adaptive rule: ${(100 * merit('auto')).toFixed(1)}. Without the amorphous particle: best ${rankedCrystalline[0].rule} (${(100 * rankedCrystalline[0].merit).toFixed(1)}), adaptive rule ${(100 * meritCrystalline('auto')).toFixed(1)}.`,
    '',
  ];
  fs.writeFileSync(path.join(RESULTS, 'glare-threshold.md'), md.join('\n'));
  console.error(md.slice(-14).join('\n'));
};
