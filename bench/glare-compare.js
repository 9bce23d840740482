/**
 * `npm run bench -- glare-compare [--before COMMIT]`: case-by-case comparisons on the test split from
 * bench/results/glare.json (made by `npm run bench -- glare`): for each pair of methods, in how many of
 * the cases one is better than the other on recovery − false-positive rate, and the mean difference in
 * points. With `--before COMMIT` (the glare.json of that git commit, i.e. earlier weights), also each
 * method now against the same method then. Writes bench/results/glare-compare.md.
 */
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const RESULTS = path.join(__dirname, 'results');
const merit = (r) => r.recovery - r.falsePositive;

/** { better, worse, meanPoints } of a over b, paired by case. */
function compare(pairs) {
  const d = pairs.map(([a, b]) => merit(a) - merit(b));
  return {
    better: d.filter((x) => x > 1e-9).length,
    worse: d.filter((x) => x < -1e-9).length,
    meanPoints: (100 * d.reduce((s, x) => s + x, 0)) / d.length,
    cases: d.length,
  };
}

const line = (label, c) =>
  `| ${label} | ${c.better} | ${c.worse} | ${c.cases} | ${c.meanPoints.toFixed(2)} |`;

exports.main = async function main(args) {
  const now = JSON.parse(fs.readFileSync(path.join(RESULTS, 'glare.json'), 'utf8'));
  const i = args.indexOf('--before');
  const before =
    i >= 0
      ? JSON.parse(
          execFileSync('git', ['show', `${args[i + 1]}:bench/results/glare.json`], {
            cwd: __dirname,
            encoding: 'utf8',
            maxBuffer: 1 << 28,
          }),
        )
      : null;
  const rows = [
    ['glare vs unet', compare(now.rows.map((r) => [r.results.glare, r.results.unet]))],
    ['glare+flips vs glare', compare(now.rows.map((r) => [r.results['glare+flips'], r.results.glare]))],
    ['glare vs raw', compare(now.rows.map((r) => [r.results.glare, r.results.raw]))],
  ];
  if (before) {
    const key = (r) => `${r.seed}|${r.totalDose}`;
    const then = new Map(before.rows.map((r) => [key(r), r]));
    const paired = now.rows.filter((r) => then.has(key(r)));
    rows.push(['glare vs unet, before', compare(before.rows.map((r) => [r.results.glare, r.results.unet]))]);
    for (const m of ['glare', 'unet', 'glare+flips'])
      rows.push([
        `${m} now vs before`,
        compare(paired.map((r) => [r.results[m], then.get(key(r)).results[m]])),
      ]);
  }
  const md = [
    '# GLARE test split, case by case',
    '',
    `From bench/results/glare.json (${Object.entries(now.models)
      .map(([k, v]) => `${k} ${v.trainedSteps} steps`)
      .join(', ')})${
      before
        ? ` and, as "before", that of commit ${args[i + 1]} (${Object.entries(before.models)
            .map(([k, v]) => `${k} ${v.trainedSteps} steps`)
            .join(', ')})`
        : ''
    }. Per pair: cases where the first is better / worse on recovery − false-positive rate, and the mean difference in points. Made by \`npm run bench -- glare-compare${args.length ? ' ' + args.join(' ') : ''}\`.`,
    '',
    '| comparison | better | worse | cases | mean (points) |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map(([label, c]) => line(label, c)),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(RESULTS, 'glare-compare.md'), md);
  console.log(md);
};
