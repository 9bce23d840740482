/** Helpers shared by the refinement benchmarks (glare, glare-flips, glare-threshold, …); not a benchmark itself. */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const DIST = process.env.PANN_DIST || path.join(__dirname, '..', 'kernel-lib', 'dist');
/** A module of the built library (PANN_DIST picks another build; default kernel-lib/dist). */
exports.req = (m) => require(path.join(DIST, m));

/** A fraction as a percentage with one decimal, '—' when not finite. */
exports.pct = (x) => (Number.isFinite(x) ? (100 * x).toFixed(1) : '—');
/** A number with `d` decimals, '—' when not finite. */
exports.fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '—');

/** The value after `name` in the benchmark's arguments as a number, or `fallback`. */
exports.numberArg = (args, name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};

/** The shipped (or PANN_MODELS_DIR) weights of each named network: { name → RefineModel }. */
exports.loadNets = async (refine, names) =>
  Object.fromEntries(
    await Promise.all(names.map(async (n) => [n, await refine.loadRefineModel(refine.defaultModelDir(n))])),
  );

/** The machine facts a result table states: cores, Node version, ISO date. */
exports.machineInfo = () => ({
  cpus: os.cpus().length,
  node: process.version,
  date: new Date().toISOString(),
});

/** Writes bench/results/<name>.json (`json`, indented by `indent`) and <name>.md (`md`), and prints the markdown. */
/** The JSON a benchmark saved with `writeResults` (for `--report-only`: the tables again, no new runs). */
exports.readResults = (name) => JSON.parse(fs.readFileSync(path.join(__dirname, 'results', `${name}.json`), 'utf8'));

exports.writeResults = (name, json, md, indent = 2) => {
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(json, null, indent) + '\n');
  fs.writeFileSync(path.join(dir, `${name}.md`), md);
  console.log(md);
};

/**
 * The pair of a test/validation spec (`refine.makePair`) and the dose limits of its true atoms
 * (`sim.doseLimits`: per-atom detection SNR and Cramér–Rao position bound) in its simulated frame.
 */
exports.pairWithDoseLimits = async (spec) => {
  const pair = await exports.req('refine').makePair(spec);
  const sim = exports.req('sim');
  const resolved = sim.resolveSimulation(spec.simulate);
  const limits = sim.doseLimits(pair.truth, resolved.volumeShape, {
    pixelSizeA: resolved.voxelSizeA,
    ...resolved.acquisition,
  });
  return { pair, limits };
};

/**
 * The volume a method traces in a pair: the reconstruction itself for 'raw', else the named network's
 * refinement of it (given the series' tilt angles).
 */
exports.methodVolume = async (pair, method, nets) =>
  method === 'raw'
    ? pair.reconstruction
    : exports
        .req('refine')
        .refineVolume(pair.reconstruction, { method, model: nets[method], tiltsForPhysics: pair.tilts });

/** The pipeline's tracing of a volume: `traceAtoms` defaults, then the atoms above the adaptive cut (`autoThreshold`). */
exports.traceAdaptive = async (volume) => {
  const { traceAtoms, selectAtoms, autoThreshold } = exports.req('trace');
  const tr = await traceAtoms(volume, {});
  return selectAtoms(tr, { threshold: autoThreshold(tr) });
};

/**
 * What the pipeline does to a volume before labelling: trace it, keep the atoms above the adaptive cut,
 * fit them (and each projection's misalignment) to the pair's tilt series. Returns the traced atoms and
 * the fit (`fitAtomsToTilts`' result).
 */
exports.traceAndFit = async (pair, volume) => {
  const { fitAtomsToTilts } = exports.req('trace');
  const traced = await exports.traceAdaptive(volume);
  const fit = await fitAtomsToTilts(traced, pair.tilts, { volumeShape: pair.reconstruction.shape });
  return { traced, fit };
};

/**
 * The pipeline's fit of traced atoms to a pair's tilt series (`fitAtomsToTilts`, `fitOpts` on top of its
 * defaults) and its support cut (`keepSupportedAtoms`, default fraction, judged against `species`).
 * Returns the fit and the atoms the cut keeps.
 */
exports.fitAndCut = async (atoms, pair, species, fitOpts = {}) => {
  const { fitAtomsToTilts, keepSupportedAtoms } = exports.req('trace');
  const fit = await fitAtomsToTilts(atoms, pair.tilts, { volumeShape: pair.reconstruction.shape, ...fitOpts });
  return { fit, kept: keepSupportedAtoms(fit.model, fit.amplitude, { species }).model };
};

/** Bands of total dose (e⁻/Å²) the validation-split fit benchmarks report by: [label, test]. */
exports.VALIDATION_DOSE_BANDS = [
  ['≥ 3e5', (d) => d >= 3e5],
  ['3e4 – 3e5', (d) => d >= 3e4 && d < 3e5],
  ['< 3e4', (d) => d < 3e4],
];

/** Mean of a list of numbers. */
exports.mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Root mean square of the finite numbers of a list. */
exports.rms = (xs) => Math.sqrt(exports.mean(xs.filter(Number.isFinite).map((x) => x * x)));

/** For each true atom, whether it is of the particle's heaviest species (`positionScore`'s `heavy`). */
exports.heaviestSpeciesMask = (truth) => {
  const { atomicNumber } = exports.req('core/elements');
  const z = truth.species.map(atomicNumber);
  const zMax = Math.max(...z);
  return z.map((x) => x === zMax);
};

/**
 * Scores a model's positions against the truth (matched within 1 Å): recovery, false positives, RMS
 * error (pm) of all / heaviest (`heavy[t]` for true atom t) / lighter matched atoms, and the RMS of
 * `boundPm` (per true atom, pm) over the matched ones (NaN without it).
 */
/** The scores `evaluate` gives a labelled model (matched within 1 Å; RMSE as matched and with the global shift removed). */
exports.evaluateScore = (atoms, truth) => {
  const m = exports.req('metrics').evaluate(atoms, truth);
  return { recovery: m.recoveryRate, falsePositive: m.falsePositiveRate, rmsePm: m.rmsePm, rmseShiftRemovedPm: m.rmseShiftRemovedPm, speciesAccuracy: m.speciesAccuracy };
};

exports.positionScore = (atoms, truth, heavy, boundPm) => {
  const m = exports.req('metrics').matchAtoms(atoms, truth, { rMatchA: 1.0 });
  const errs = { all: [], heavy: [], light: [], bound: [] };
  m.truthIndex.forEach((t, k) => {
    const e = 100 * m.distanceA[k];
    errs.all.push(e);
    (heavy[t] ? errs.heavy : errs.light).push(e);
    if (boundPm) errs.bound.push(boundPm[t]);
  });
  const n = atoms.species.length;
  return {
    recovery: m.truthIndex.length / truth.species.length,
    falsePositive: n ? (n - m.truthIndex.length) / n : 0,
    rmsePm: exports.rms(errs.all),
    heavyRmsePm: errs.heavy.length ? exports.rms(errs.heavy) : NaN,
    lightRmsePm: errs.light.length ? exports.rms(errs.light) : NaN,
    boundPm: boundPm ? exports.rms(errs.bound) : NaN,
  };
};

/** The peaks of a trace's candidates not suppressed by a stronger neighbour, lowest first. */
exports.candidatePeaks = (trace) =>
  Array.from(trace.peak)
    .filter((v, c) => trace.suppressedBy[c] === -1 && Number.isFinite(v))
    .sort((a, b) => a - b);

/**
 * A ladder of `n` cuts at quantiles (i + offset)/n of a trace's candidate peaks (those not suppressed
 * by a stronger neighbour), lowest first.
 */
exports.peakQuantiles = (trace, n, offset = 0) => {
  const peaks = exports.candidatePeaks(trace);
  return Array.from({ length: n }, (_, i) => peaks[Math.floor(((i + offset) / n) * peaks.length)]);
};
