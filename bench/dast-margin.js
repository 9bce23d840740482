/**
 * `npm run bench -- dast-margin`: the margin behind test/dast/dast-shipped.test.ts — species accuracy of
 * k-means and the shipped DAST on the fixed FePt L1₀ scenario of that test, seeds 900001–900005 (never
 * trained on) at total doses 3e3, 5e3 and 1e4 e⁻/Å², traced on the raw reconstruction and on the GLARE
 * volume. Writes bench/results/dast-margin.json and .md.
 */
const fs = require('node:fs');
const path = require('node:path');
const { feptScenario } = require('./_fept-scenario');

const DIST = process.env.PANN_DIST || path.join(__dirname, '..', 'kernel-lib', 'dist');
const req = (m) => require(path.join(DIST, m));
const { classifyDast } = req('classify/dast/classify');
const { simulateAndTrace, LABEL_MATCH_RADIUS_A } = req('classify/dast/dataset');
const { classifyKMeans } = req('classify/kmeans');
const { matchAtoms } = req('metrics/match');

const accuracy = (pred, truth, m) => {
  let ok = 0;
  for (let i = 0; i < m.predIndex.length; i++) if (pred.species[m.predIndex[i]] === truth.species[m.truthIndex[i]]) ok++;
  return ok / m.predIndex.length;
};

exports.main = async function main() {
  const rows = [];
  for (const refine of ['none', 'glare'])
    for (const dose of refine === 'none' ? [3e3, 5e3, 1e4] : [3e3, 1e4])
      for (let seed = 900001; seed <= 900005; seed++) {
        const { truth, volume, atoms } = await simulateAndTrace(feptScenario(seed, dose, refine));
        const m = matchAtoms(atoms, truth, { rMatchA: LABEL_MATCH_RADIUS_A });
        const species = ['Fe', 'Pt'];
        const kmeans = accuracy(classifyKMeans(atoms, volume, { species }), truth, m);
        const dast = accuracy(await classifyDast(atoms, volume, { species }), truth, m);
        rows.push({ refine, dose, seed, matched: m.predIndex.length, kmeans, dast, margin: dast - kmeans });
        console.error(`${refine} ${dose} ${seed}: k-means ${(100 * kmeans).toFixed(2)} DAST ${(100 * dast).toFixed(2)}`);
      }
  const out = path.join(__dirname, 'results');
  fs.writeFileSync(path.join(out, 'dast-margin.json'), JSON.stringify({ date: new Date().toISOString(), rows }, null, 1) + '\n');
  const f = (x) => (100 * x).toFixed(2);
  const md = ['# DAST vs k-means margin on the shipped test\'s FePt scenario', '', `${new Date().toISOString()}. Made by \`npm run bench -- dast-margin\`. Species accuracy % over matched atoms (1 Å).`, '', '| volume | dose (e⁻/Å²) | seed | matched atoms | k-means % | DAST % | margin (points) |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |', ...rows.map((r) => `| ${r.refine === 'none' ? 'raw' : 'GLARE'} | ${r.dose.toExponential(0)} | ${r.seed} | ${r.matched} | ${f(r.kmeans)} | ${f(r.dast)} | ${(100 * r.margin).toFixed(2)} |`), ''].join('\n');
  fs.writeFileSync(path.join(out, 'dast-margin.md'), md);
  console.log(md);
};
