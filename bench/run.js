#!/usr/bin/env node
/**
 * Benchmark dispatcher: `npm run bench -- NAME [options]` runs `bench/NAME.js` against the built library
 * (kernel-lib/dist). Each benchmark writes bench/results/NAME.json and bench/results/NAME.md.
 * Benchmarks are scripts, never timed tests.
 */
const fs = require('node:fs');
const path = require('node:path');

const [name, ...args] = process.argv.slice(2);
const available = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith('.js') && f !== 'run.js' && !f.startsWith('_'))
  .map((f) => f.replace(/\.js$/, ''));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join('|')}> [options]`);
  process.exit(name ? 2 : 0);
}
Promise.resolve(require(path.join(__dirname, `${name}.js`)).main(args)).catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
