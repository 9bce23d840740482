/**
 * `npm run bench -- dast [--quick]`: species accuracy of k-means, the intensity-only MLP (ablation: no
 * Zernike, no graph) and DAST on traced atoms of simulated particles, per alloy and total dose, plus
 * per-stage times. Alloys include element sets and combinations never seen in training (held-out
 * elements Co, Rh, Ir, W; held-out sets Ni–Pd–Pt and Fe–Ni–Pd–Pt). Bench seeds (900000+) are disjoint
 * from training seeds. Atoms are made as pipeline/run.ts makes them (background → RESIRE 20 → trace →
 * select); accuracy is over traced atoms matched to the truth within 1 Å (ghosts excluded, as in
 * metrics/evaluate). Writes bench/results/dast.json and bench/results/dast.md.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { feptScenario } = require('./_fept-scenario');

/** The DAST modules: from the build when it is up to date, else transpiled from source (dev checkouts). */
function loadDast() {
  const srcDir = path.join(__dirname, '..', 'kernel-lib', 'src', 'classify', 'dast');
  const builtDir = path.join(__dirname, '..', 'kernel-lib', 'dist', 'classify', 'dast');
  const newest = Math.max(...fs.readdirSync(srcDir).map((f) => fs.statSync(path.join(srcDir, f)).mtimeMs));
  const fresh = fs.existsSync(path.join(builtDir, 'classify.js')) && fs.readdirSync(srcDir).every((f) => {
    const js = path.join(builtDir, f.replace(/\.ts$/, '.js'));
    return fs.existsSync(js) && fs.statSync(js).mtimeMs >= newest - 1;
  });
  if (!fresh) {
    const ts = require('typescript');
    require.extensions['.ts'] = (module, filename) => {
      const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true }, fileName: filename });
      module._compile(out.outputText, filename);
    };
  }
  const root = path.join(__dirname, '..', 'kernel-lib', fresh ? 'dist' : 'src');
  const req = (p) => require(path.join(root, p));
  return { dast: req('classify/dast'), kmeans: req('classify/kmeans'), match: req('metrics/match') };
}

const pct = (x) => (Number.isFinite(x) ? (100 * x).toFixed(1) : '—');

function speciesAccuracy(pred, truth, m) {
  let ok = 0;
  for (let t = 0; t < m.predIndex.length; t++) if (pred.species[m.predIndex[t]] === truth.species[m.truthIndex[t]]) ok++;
  return m.predIndex.length ? ok / m.predIndex.length : NaN;
}

function cases(quick) {
  const out = [];
  const fept = quick ? [3e3, 1e4] : [1e3, 3e3, 5e3, 1e4, 3e4, 1e5, 1e6];
  const feptSeeds = quick ? [900001] : [900001, 900002, 900003, 900004, 900005];
  for (const dose of fept) for (const seed of feptSeeds) out.push({ alloy: 'FePt L1₀ (fept-lowdose)', set: 'trained', scenario: feptScenario(seed, dose) });
  // the same particles traced on (and classified from) the GLARE-refined volume, as `pann run --refine glare`
  const feptGlare = quick ? [1e4] : [3e3, 1e4, 1e5];
  for (const dose of feptGlare) for (const seed of feptSeeds.slice(0, 3)) out.push({ alloy: 'FePt L1₀ on GLARE volume', set: 'trained', scenario: feptScenario(seed, dose, 'glare') });
  const common = { amorphous: false, noiseModel: 'realistic', recon: { method: 'resire', iterations: 20 }, preset: 'hea', voxelSizeA: 0.65, volumeShape: [64, 64, 64], diameterA: 28 };
  const others = [
    ['PdPt random', 'trained', { composition: { Pd: 0.5, Pt: 0.5 }, ordering: 'random', shape: 'cuboctahedron' }],
    ['Ni-core/Pt-shell', 'trained', { composition: { Ni: 0.3, Pt: 0.7 }, ordering: 'core-shell', shape: 'sphere' }],
    ['AgAu random', 'trained', { composition: { Ag: 0.5, Au: 0.5 }, ordering: 'random', shape: 'truncated-octahedron' }],
    ['NiPdPt random (unseen set)', 'unseen set', { composition: { Ni: 0.34, Pd: 0.33, Pt: 0.33 }, ordering: 'random', shape: 'truncated-octahedron' }],
    ['FeNiPdPt HEA (unseen set)', 'unseen set', { composition: { Fe: 0.25, Ni: 0.25, Pd: 0.25, Pt: 0.25 }, ordering: 'random', shape: 'truncated-octahedron' }],
    ['CoPt L1₀ (unseen Co)', 'unseen elements', { composition: { Co: 0.5, Pt: 0.5 }, ordering: 'L10', shape: 'truncated-octahedron' }],
    ['RhIr random (unseen Rh, Ir)', 'unseen elements', { composition: { Rh: 0.5, Ir: 0.5 }, ordering: 'random', shape: 'cuboctahedron' }],
    ['CoRhW random (unseen)', 'unseen elements', { composition: { Co: 0.34, Rh: 0.33, W: 0.33 }, ordering: 'random', shape: 'truncated-octahedron' }],
  ];
  const doses = quick ? [1e4] : [1e3, 1e4, 1e5];
  for (const [alloy, set, sc] of others) for (const dose of doses) out.push({ alloy, set, scenario: { ...common, ...sc, name: alloy, seed: 900100 + out.length, totalDoseEPerA2: dose } });
  return out;
}

exports.main = async function main(args) {
  const quick = args.includes('--quick');
  const { dast, kmeans, match } = loadDast();
  const mlpDir = path.join(dast.defaultModelDir(), 'mlp');
  const rows = [];
  for (const c of cases(quick)) {
    const sc = c.scenario;
    const { truth, volume, atoms, timingsS } = await dast.simulateAndTrace(sc);
    const species = [...new Set(truth.species)];
    const m = match.matchAtoms(atoms, truth, { rMatchA: dast.LABEL_MATCH_RADIUS_A });
    const t = { ...timingsS };
    let t0 = performance.now();
    const km = kmeans.classifyKMeans(atoms, volume, { species });
    t.kmeans = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const mlp = await dast.classifyDast(atoms, volume, { species, modelDir: mlpDir });
    t.mlp = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const d = await dast.classifyDast(atoms, volume, { species });
    t.dast = (performance.now() - t0) / 1000;
    const dl = await dast.classifyDast(atoms, volume, { species, assignment: 'ladder' });
    const comp = {};
    for (const s of truth.species) comp[s] = (comp[s] ?? 0) + 1;
    const dp = await dast.classifyDast(atoms, volume, { species, composition: comp });
    const row = {
      alloy: c.alloy,
      set: c.set,
      seed: sc.seed,
      totalDose: sc.totalDoseEPerA2,
      nTrue: truth.species.length,
      nTraced: atoms.species.length,
      nMatched: m.predIndex.length,
      accuracy: { kmeans: speciesAccuracy(km, truth, m), mlp: speciesAccuracy(mlp, truth, m), dast: speciesAccuracy(d, truth, m), dastLadder: speciesAccuracy(dl, truth, m), dastWithComposition: speciesAccuracy(dp, truth, m) },
      stageTimesS: t,
      loadAverage1min: os.loadavg()[0],
    };
    rows.push(row);
    console.log(`${c.alloy} ${sc.totalDoseEPerA2.toExponential(0)} seed ${sc.seed}: k-means ${pct(row.accuracy.kmeans)} MLP ${pct(row.accuracy.mlp)} DAST ${pct(row.accuracy.dast)} (ladder ${pct(row.accuracy.dastLadder)}, +composition ${pct(row.accuracy.dastWithComposition)}) matched ${row.nMatched}/${row.nTrue}`);
  }
  // Pooled accuracy per alloy and dose (over matched atoms of all seeds).
  const groups = new Map();
  for (const r of rows) {
    const key = `${r.alloy}|${r.totalDose}`;
    const g = groups.get(key) ?? { alloy: r.alloy, set: r.set, totalDose: r.totalDose, n: 0, seeds: 0, acc: { kmeans: 0, mlp: 0, dast: 0, dastLadder: 0, dastWithComposition: 0 }, t: {} };
    g.n += r.nMatched;
    g.seeds++;
    for (const k of Object.keys(g.acc)) g.acc[k] += r.accuracy[k] * r.nMatched;
    for (const [k, v] of Object.entries(r.stageTimesS)) g.t[k] = (g.t[k] ?? 0) + v;
    groups.set(key, g);
  }
  const summary = [...groups.values()].map((g) => ({ alloy: g.alloy, set: g.set, totalDose: g.totalDose, seeds: g.seeds, matchedAtoms: g.n, accuracy: Object.fromEntries(Object.entries(g.acc).map(([k, v]) => [k, g.n ? v / g.n : NaN])), meanStageTimesS: Object.fromEntries(Object.entries(g.t).map(([k, v]) => [k, v / g.seeds])) }));
  const model = JSON.parse(fs.readFileSync(path.join(dast.defaultModelDir(), 'dast.json'), 'utf8'));
  const out = { date: new Date().toISOString(), quick, machine: { cpus: os.cpus().length, loadAverage1min: os.loadavg()[0] }, model: { dir: 'models/dast', training: model.training }, summary, rows };
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'dast.json'), JSON.stringify(out, null, 1));
  const stages = ['simulate', 'reconstruct', 'refine', 'trace', 'kmeans', 'mlp', 'dast'];
  const head = ['alloy', 'elements seen in training?', 'dose (e⁻/Å²)', 'seeds', 'matched atoms', 'k-means %', 'MLP %', 'DAST %', 'DAST ladder %', 'DAST + composition %', ...stages.map((s) => `${s} (s)`)];
  const lines = [
    '# DAST benchmark',
    '',
    `${out.date}${quick ? ' (quick)' : ''}; ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}. Species accuracy over traced atoms matched to the truth within 1 Å (ghosts excluded); atoms from background removal → RESIRE (20 iterations) → trace → select, as pipeline/run.ts. Times are per particle, wall-clock, on a shared machine. MLP and DAST use the default (free-means) assignment; "ladder" fixes the species means at α·ln Z + b; "+ composition" gives the true composition as the prior.`,
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`,
    ...summary.map((g) => `| ${[g.alloy, g.set, g.totalDose.toExponential(0), g.seeds, g.matchedAtoms, pct(g.accuracy.kmeans), pct(g.accuracy.mlp), pct(g.accuracy.dast), pct(g.accuracy.dastLadder), pct(g.accuracy.dastWithComposition), ...stages.map((s) => (g.meanStageTimesS[s] ?? NaN).toFixed(2))].join(' | ')} |`),
    '',
  ];
  fs.writeFileSync(path.join(dir, 'dast.md'), lines.join('\n'));
  console.log(lines.join('\n'));
};
