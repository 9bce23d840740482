/** Helpers shared by the refinement benchmarks (glare, glare-flips, glare-threshold); not a benchmark itself. */
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
