/**
 * Every notebook runs top to bottom on the project's kernel through Debian's Jupyter stack, and its outputs say
 * what the prose says they show. The workshop runs its quick setting (PANN_NOTEBOOK_QUICK=1: two doses).
 */
import { NotebookRunner, errors, metricRows, outputsOf, pct, stdout, type Notebook } from './execute';

const WIDGET = 'application/vnd.jupyter.widget-view+json';
let runner: NotebookRunner;
beforeAll(() => (runner = new NotebookRunner()));
afterAll(() => runner.dispose());

const ran = (nb: Notebook) => nb.cells.filter((c) => c.cell_type === 'code');

test('01-quickstart: every stage, the views, and a metric table with sane values', () => {
  const nb = runner.execute('01-quickstart.ipynb');
  expect(errors(nb)).toEqual([]);
  const out = stdout(nb);
  expect(out).toMatch(/truth: 7\d\d atoms/);
  expect(out).toMatch(/volume 80 × 80 × 80 at 0.5 Å/);
  expect(outputsOf(nb, WIDGET).length).toBeGreaterThanOrEqual(5); // progress bar, tilt viewer, slicer, atom viewer, GLARE slicer
  const rows = metricRows(nb);
  const row = rows[0];
  const net = rows.find((r) => r.label === 'RESIRE + GLARE + DAST')!;
  expect(net).toBeDefined();
  // section 8: the atoms fitted to the projections, with the series' misalignment (σ 0.2 Å per axis) found
  const fitted = rows.find((r) => r.label === 'RESIRE + GLARE + fitted positions + DAST')!;
  expect(Number(fitted['RMSE (pm)'])).toBeLessThan(Number(net['RMSE (pm)']));
  expect(pct(fitted.recovery)).toBeGreaterThanOrEqual(pct(net.recovery) - 0.01); // same atoms: only matches within 1 Å may change
  // …and labelled by k-means from the brightness the fit gave them: the same atoms, species as good as FePt allows at 1e4
  const fittedKm = rows.find((r) => r.label === 'RESIRE + GLARE + fitted positions + k-means (fitted brightness)')!;
  expect(fittedKm['RMSE (pm)']).toBe(fitted['RMSE (pm)']);
  expect(pct(fittedKm['species acc.'])).toBeGreaterThan(0.95);
  const found = Number(/misalignment found: (\d+) pm RMS/.exec(out)?.[1]);
  expect(found).toBeGreaterThan(14);
  expect(found).toBeLessThan(26);
  expect(pct(net.recovery)).toBeGreaterThan(0.4);
  expect(pct(net['species acc.'])).toBeGreaterThan(0.9);
  expect(pct(row.recovery)).toBeGreaterThan(0.5);
  expect(pct(row.recovery)).toBeLessThanOrEqual(1);
  expect(pct(row['species acc.'])).toBeGreaterThan(0.9);
  expect(Number(row['R-factor'])).toBeGreaterThan(0);
  expect(Number(row['R-factor'])).toBeLessThan(1.5);
  expect(ran(nb).every((c) => c.outputs !== undefined)).toBe(true);
});

test('02-low-dose-workshop (quick): more dose helps, the wedge hurts, Pd/Pt is harder than Fe/Pt', () => {
  const nb = runner.execute('02-low-dose-workshop.ipynb', { PANN_NOTEBOOK_QUICK: '1' });
  expect(errors(nb)).toEqual([]);
  const rows = metricRows(nb);
  const byLabel = Object.fromEntries(rows.map((r) => [r.label, r]));
  const hi = byLabel['1e+5 e⁻/Å²'], lo = byLabel['1e+4 e⁻/Å²'];
  expect(pct(hi.recovery)).toBeGreaterThan(pct(lo.recovery));
  expect(pct(hi['false pos.'])).toBeLessThan(pct(lo['false pos.']));
  const full = byLabel['full ±90°'], wedge = byLabel['±70° (missing wedge)'];
  expect(Number(wedge['RMSE (pm)'])).toBeGreaterThan(Number(full['RMSE (pm)']));
  expect(pct(full.recovery)).toBeGreaterThanOrEqual(0.99);
  expect(byLabel['PdPt random alloy, k-means']).toBeDefined();
  expect(pct(byLabel['PdPt, DAST']['species acc.'])).toBeGreaterThan(0.5);
  expect(pct(byLabel.GLARE.recovery)).toBeGreaterThan(0);
  expect(byLabel['plain U-Net']).toBeDefined();
  expect(pct(byLabel['GLARE, mean of 8 mirror images'].recovery)).toBeGreaterThan(0);
  expect(stdout(nb)).toMatch(/threshold .*: \d+ atoms, recovery/);
  // what the measurement shows: Fe (6.5× dimmer than Pt) drops below Rose's SNR 5 between 1e5 and 1e4
  const shown = (dose: string, sp: string) => Number(new RegExp(`${dose} e⁻/Å², ${sp}: median SNR [\\d.]+, ([\\d.]+) % shown`).exec(stdout(nb))?.[1]);
  expect(shown('1e\\+5', 'Fe')).toBeGreaterThan(shown('1e\\+4', 'Fe'));
  expect(shown('1e\\+4', 'Pt')).toBeGreaterThanOrEqual(99);
  expect(outputsOf(nb, WIDGET).length).toBeGreaterThanOrEqual(8);
});

test('03-your-own-data: the published aSi case from .mat files to an exported model', () => {
  const nb = runner.execute('03-your-own-data.ipynb');
  expect(errors(nb)).toEqual([]);
  const out = stdout(nb);
  expect(out).toContain('Trunc_projections_forBM3D 128×128×60');
  expect(out).toMatch(/tilt series 60 × 128 × 128/);
  const shift = /alignment shifts: median ([\d.]+) px/.exec(out);
  expect(Number(shift![1])).toBeLessThan(1);
  const [row] = metricRows(nb);
  expect(pct(row.recovery)).toBeGreaterThan(0.9);
  // the atoms fitted to the measured projections: closer to the published truth, none lost
  const fitted = metricRows(nb).find((r) => r.label === 'fitted to the projections')!;
  expect(Number(fitted['RMSE (pm)'])).toBeLessThan(Number(row['RMSE (pm)']));
  expect(pct(fitted.recovery)).toBeGreaterThanOrEqual(pct(row.recovery) - 0.01);
  expect(out).toMatch(/atoms.xyz: \d+ bytes/);
  expect(out).toMatch(/round trip: \d+ atoms/);
});

test('04-training (quick): pairs, GLARE and DAST train with live loss plots, save, load and run', () => {
  const nb = runner.execute('04-training.ipynb', { PANN_NOTEBOOK_QUICK: '1' }, 1500);
  expect(errors(nb)).toEqual([]);
  const out = stdout(nb);
  expect(out).toMatch(/GLARE: 4 steps in \d+ s, last loss [\d.e+-]+/);
  expect(out).toMatch(/saved: .*model\.json/);
  expect(out).toMatch(/refined with my model: 80 × 80 × 80/);
  expect(out).toMatch(/DAST: 10 steps in \d+ s, final loss [\d.]+; saved .*model\.json/);
  expect(out).toMatch(/species accuracy: my DAST [\d.]+ %, k-means [\d.]+ %/);
  const plots = outputsOf(nb, WIDGET);
  expect(plots.length).toBeGreaterThanOrEqual(4);
});
