/**
 * `npm run bench -- pipeline-refine [--quick] [--report-only]`: the whole pipeline as `pann run` runs it
 * (RESIRE →
 * refine → trace → classify → R-factor) with each refinement setting — none, the plain U-Net, GLARE,
 * GLARE averaged over 8 mirror images, GLARE cut with `threshold: 'refined'`, and no refinement or GLARE
 * followed by fitting the atoms to the tilt series (`fitPositions`), GLARE + fit + realign (the default) — on the cases of `bench -- classical` (simulated Pt and FePt
 * particles at 1e6…3e3 e⁻/Å², the published aSi case). This is the table the default of
 * `runPipeline({ refine })` / `pann run --refine` is chosen from. Writes bench/results/pipeline-refine.{json,md}.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { simulatedCase, asiCase } = require('./classical');
const { pct, fmt, readResults } = require('./_refine-bench');

const RESULTS = path.join(__dirname, 'results');
const SETTINGS = [
  // the traced positions kept (pann run --no-fit-positions)
  { name: 'none', pipeline: { refine: 'none', fitPositions: false } },
  { name: 'unet', pipeline: { refine: 'unet', fitPositions: false } },
  { name: 'glare', pipeline: { refine: 'glare', fitPositions: false } },
  { name: 'glare+flips', pipeline: { refine: 'glare', refineFlips: true, fitPositions: false } },
  // the calibrated cut of the network output (refinedThreshold) instead of the adaptive one
  { name: 'glare, refined cut', pipeline: { refine: 'glare', trace: { threshold: 'refined' }, fitPositions: false } },
  // the traced atoms (and each projection's misalignment) fitted to the tilt series, one pass
  { name: 'none+fit', pipeline: { refine: 'none', fitPositions: true, realign: 'never', fillVacantSites: false } },
  { name: 'glare+fit', pipeline: { refine: 'glare', fitPositions: true, realign: 'never', fillVacantSites: false } },
  // then, where the fit found the series misaligned, realigned and traced again
  { name: 'glare+fit+realign', pipeline: { refine: 'glare', fitPositions: true, realign: 'auto', fillVacantSites: false } },
  // `pann run`'s default: then the empty lattice sites proposed, fitted and cut
  { name: 'glare+fit+realign+sites', pipeline: { refine: 'glare', fitPositions: true, realign: 'auto', fillVacantSites: true } },
];
/** The setting `pann run` uses when nothing is said. */
const DEFAULT_SETTING = 'glare+fit+realign+sites';

const cell = (r) => {
  const m = r.metrics;
  return `${pct(m.recoveryRate)} / ${pct(m.falsePositiveRate)} / ${fmt(m.rmsePm)} / ${pct(m.speciesAccuracy)} / ${fmt(r.rFactor, 3)}`;
};
const merit = (r) => r.metrics.recoveryRate - r.metrics.falsePositiveRate;
/** A case: a particle (or the aSi series) at one dose. */
const caseKey = (r) => `${r.case}|${r.totalDose}`;
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;

function summary(rows, cases) {
  const head = [
    'setting',
    'mean recovery %',
    'mean false pos. %',
    'mean RMSE pm',
    'mean species acc. %',
    'mean R-factor',
    'recovery − FP better / worse than none',
    'mean refine s',
    'mean fit s',
    'mean realign s',
    'mean sites s',
  ];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i ? '---:' : '---')).join(' | ')} |`];
  for (const s of SETTINGS) {
    const rs = rows.filter((r) => r.setting === s.name && cases(r));
    if (!rs.length) continue;
    const base = rs.map((r) =>
      rows.find((b) => b.setting === 'none' && caseKey(b) === caseKey(r)),
    );
    const better = rs.filter((r, i) => merit(r) > merit(base[i]) + 1e-9).length;
    const worse = rs.filter((r, i) => merit(r) < merit(base[i]) - 1e-9).length;
    const m = (f) => mean(rs.map((r) => f(r)));
    lines.push(
      `| ${[
        s.name,
        pct(m((r) => r.metrics.recoveryRate)),
        pct(m((r) => r.metrics.falsePositiveRate)),
        fmt(m((r) => r.metrics.rmsePm)),
        pct(m((r) => r.metrics.speciesAccuracy)),
        fmt(
          m((r) => r.rFactor),
          3,
        ),
        s.name === 'none' ? '—' : `${better} / ${worse}`,
        fmt(m((r) => r.stageTimesS.refine ?? 0)),
        fmt(m((r) => r.stageTimesS.fit ?? 0)),
        fmt(m((r) => r.stageTimesS.realign ?? 0)),
        fmt(m((r) => r.stageTimesS.fillVacantSites ?? 0)),
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

exports.main = async function main(args) {
  if (args.includes('--report-only')) {
    report(readResults('pipeline-refine'));
    return;
  }
  const quick = args.includes('--quick');
  // --only a,b: measure just these settings and merge them into the committed rows (the runs are seeded, so
  // the other settings' rows stand as measured; the report says when each setting was measured)
  const oi = args.indexOf('--only');
  const only = oi >= 0 ? args[oi + 1].split(',') : null;
  const unknown = (only ?? []).filter((n) => !SETTINGS.some((s) => s.name === n));
  if (unknown.length) throw new Error(`pipeline-refine --only: unknown setting(s) ${unknown.join(', ')} (known: ${SETTINGS.map((s) => s.name).join(', ')})`);
  const settings = only ? SETTINGS.filter((s) => only.includes(s.name)) : SETTINGS;
  const previous = only ? readResults('pipeline-refine') : null;
  if (previous && previous.quick !== quick) throw new Error('pipeline-refine --only: the committed rows were measured with a different --quick');
  const doses = quick ? [1e5, 1e4] : [1e6, 1e5, 1e4, 3e3];
  const presets = quick ? ['fept-lowdose'] : ['pt-highdose', 'pt-wedge', 'fept-lowdose'];
  const asi = quick
    ? [['1p6e5', 1.6e5]]
    : [
        ['1p6e5', 1.6e5],
        ['1p6e4', 1.6e4],
        ['8p0e3', 8.0e3],
      ];
  const rows = [];
  const note = (r) => console.error(`${r.case} ${r.totalDose.toExponential(1)} ${r.setting}: ${cell(r)}`);
  for (const preset of presets)
    for (const dose of doses)
      for (const s of settings) {
        const r = { setting: s.name, ...(await simulatedCase(preset, dose, 0, s.pipeline)) };
        rows.push(r);
        note(r);
      }
  for (const [tag, dose] of asi)
    for (const s of settings) {
      const r = { setting: s.name, ...(await asiCase(tag, dose, s.pipeline)) };
      rows.push(r);
      note(r);
    }
  const machine = {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    node: process.version,
    loadAverage1min: os.loadavg()[0],
    date: new Date().toISOString(),
  };
  const models = Object.fromEntries(
    ['glare', 'unet'].map((n) => [
      n,
      JSON.parse(
        fs.readFileSync(
          path.join(process.env.PANN_MODELS_DIR || path.join(__dirname, '..', 'models'), n, 'refine.json'),
          'utf8',
        ),
      ).trainedSteps,
    ]),
  );
  // rows of the settings not re-measured, and when each setting was measured (rows and their order follow SETTINGS)
  const kept = previous ? previous.rows.filter((r) => !only.includes(r.setting)) : [];
  const measuredAt = { ...(previous?.measuredAt ?? {}) };
  if (only) for (const s of settings) measuredAt[s.name] = { date: machine.date, args: args.join(' ') };
  const all = inRunOrder([...kept, ...rows]);
  const result = { machine: previous?.machine ?? machine, models, rMatchA: 1.0, quick, measuredAt, rows: all };
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, 'pipeline-refine.json'), JSON.stringify(result, null, 2) + '\n');
  report(result);
};

/** Rows in the order a whole run makes them: case by case (as first met), each case's settings in SETTINGS order. */
function inRunOrder(rows) {
  const cases = [...new Set(rows.map(caseKey))];
  const settingIndex = (r) => SETTINGS.findIndex((s) => s.name === r.setting);
  return [...rows].sort((a, b) => cases.indexOf(caseKey(a)) - cases.indexOf(caseKey(b)) || settingIndex(a) - settingIndex(b));
}

/** Writes bench/results/pipeline-refine.md from the measured rows (also alone: `--report-only`). */
function report({ machine, models, quick, measuredAt = {}, rows }) {
  const keys = [...new Set(rows.map(caseKey))];
  const head = ['case', 'dose (e⁻/Å²)', 'atoms', ...SETTINGS.map((s) => s.name)];
  const perCase = [
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`,
  ];
  for (const k of keys) {
    const rs = SETTINGS.map((s) =>
      rows.find((r) => caseKey(r) === k && r.setting === s.name),
    );
    perCase.push(
      `| ${[rs[0].case, rs[0].totalDose.toExponential(1), rs[0].nAtoms, ...rs.map((r) => (r ? cell(r) : '—'))].join(' | ')} |`,
    );
  }
  const md = [
    '# The pipeline with and without refinement',
    '',
    `\`runPipeline\` (as \`pann run\`) on the cases of \`npm run bench -- classical\`, once per refinement setting: RESIRE (20 iterations) → refine → trace → classify (k-means: on the volume's intensity, or with "+fit" on the brightness the fit gave each atom) → R-factor; matched within 1 Å (RMSE with no global shift removed). Traced with the adaptive cut (threshold 'auto', the default), except "glare, refined cut" (threshold 'refined': refinedThreshold); "+fit": the traced atoms and each projection's misalignment then fitted to the tilt series (\`fitPositions\`); the other rows keep the traced positions (\`fitPositions: false\`, \`pann run --no-fit-positions\`); "+realign": then, where the fit's shifts stand well above their noise (\`realign: 'auto'\`, misalignmentZ2 ≥ 10), the series shifted back by them, reconstructed, refined, traced and fitted again (bench/results/realign-validation.md); "+sites": then the lattice sites the kept atoms leave empty proposed, fitted with them and cut again (\`fillVacantSites\`; the other "+fit" rows pass \`fillVacantSites: false\`). "${DEFAULT_SETTING}" is what \`pann run\` does by default. Networks: GLARE ${models.glare} steps, U-Net ${models.unet} steps (models/*/refine.json). Machine: ${machine.cpus} cores, ${machine.model}, Node ${machine.node}, load ${fmt(machine.loadAverage1min)}; ${machine.date}. Made by \`npm run bench -- pipeline-refine${quick ? ' --quick' : ''}\`${Object.entries(measuredAt).length ? `; settings measured by themselves later (\`--only\`; the runs are seeded, so the other rows stand): ${Object.entries(measuredAt).map(([name, m]) => `${name} on ${m.date}`).join(', ')}` : ''}.`,
    '',
    '## Means',
    '',
    'Simulated cases (Pt full range, Pt missing wedge, FePt L1₀; every dose):',
    '',
    summary(rows, (r) => r.source === 'simulated'),
    '',
    'The published aSi case (amorphous, made outside this project; unlike the training data):',
    '',
    summary(rows, (r) => r.source === 'external'),
    '',
    '## Per case',
    '',
    'Cells: recovery % / false positives % / RMSE pm / species accuracy % / R-factor.',
    '',
    perCase.join('\n'),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(RESULTS, 'pipeline-refine.md'), md);
  console.log(md);
}
