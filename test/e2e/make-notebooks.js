/** Writes the e2e test notebooks (kernel "TypeScript (pann-aet)") into a folder. Usage: node make-notebooks.js DIR */
const { Buffer } = require('buffer');
const fs = require('fs');
const path = require('path');

const meta = {
  kernelspec: { name: 'pann-aet', display_name: 'TypeScript (pann-aet)', language: 'typescript' },
  language_info: { name: 'typescript', file_extension: '.ts' },
};
const code = (src) => ({ cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: src.trim() });
const nb = (cells) => ({ nbformat: 4, nbformat_minor: 5, metadata: meta, cells: cells.map((c, i) => ({ id: `cell-${i}`, ...c })) });

// Synthetic particle: atoms on a jittered grid, every candidate with a peak score; low scores are ghosts.
const DATA = `
import { slicer, atomViewer, progressBar, lossPlot, tiltViewer } from '@pann-aet/kernel/dist/view';
function rng(seed: number) { let s = seed >>> 0; return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296); }
function particle(n: number, voxelSizeA: number, spacingA: number, seed: number) {
  const r = rng(seed); const pos: number[] = []; const species: string[] = []; const peak: number[] = [];
  const c = (n - 1) * voxelSizeA / 2; const R = 0.38 * n * voxelSizeA;
  for (let z = 0; z < n * voxelSizeA; z += spacingA) for (let y = 0; y < n * voxelSizeA; y += spacingA) for (let x = 0; x < n * voxelSizeA; x += spacingA) {
    if ((x - c) ** 2 + (y - c) ** 2 + (z - c) ** 2 > R * R) continue;
    pos.push(x + 0.2 * r(), y + 0.2 * r(), z + 0.2 * r()); species.push(r() < 0.3 ? 'Pd' : 'Pt'); peak.push(0.5 + 0.5 * r());
    if (r() < 0.3) { pos.push(x + spacingA / 2, y + spacingA / 2, z); species.push('Pt'); peak.push(0.45 * r()); }
  }
  const data = new Float32Array(n * n * n); const s2 = 2 * (0.6 ** 2);
  for (let a = 0; a < species.length; a++) {
    const [ax, ay, az] = [pos[3 * a] / voxelSizeA, pos[3 * a + 1] / voxelSizeA, pos[3 * a + 2] / voxelSizeA];
    const w = peak[a] * (species[a] === 'Pt' ? 1 : 0.7);
    for (let k = Math.max(0, Math.floor(az - 3)); k <= Math.min(n - 1, Math.ceil(az + 3)); k++)
      for (let j = Math.max(0, Math.floor(ay - 3)); j <= Math.min(n - 1, Math.ceil(ay + 3)); j++)
        for (let i = Math.max(0, Math.floor(ax - 3)); i <= Math.min(n - 1, Math.ceil(ax + 3)); i++)
          data[(k * n + j) * n + i] += w * Math.exp(-(((i - ax) * voxelSizeA) ** 2 + ((j - ay) * voxelSizeA) ** 2 + ((k - az) * voxelSizeA) ** 2) / s2);
  }
  const noisy = data.map((v) => v + 0.15 * (r() - 0.5));
  return { refined: { data, shape: [n, n, n] as [number, number, number], voxelSizeA }, raw: { data: noisy, shape: [n, n, n] as [number, number, number], voxelSizeA },
           atoms: { positionsA: Float64Array.from(pos), species, scores: { peak: Float64Array.from(peak) } } };
}
const p = particle(64, 0.4, 2.0, 7);
console.log('CANDIDATES', p.atoms.species.length);
`;

fs.mkdirSync(process.argv[2], { recursive: true });
fs.writeFileSync(
  path.join(process.argv[2], 'widgets.ipynb'),
  JSON.stringify(
    nb([
      code(DATA),
      code(`const v = slicer(p.refined, p.atoms, { threshold: 0.2, label: 'refined', compare: p.raw, compareLabel: 'raw' });`),
      code(`const a = atomViewer(p.atoms, { title: 'traced atoms <img src=x onerror="window.__pwned=1">' });`),
      code(`const bar = progressBar({ stage: 'demo stage', total: 20 });
for (let i = 1; i <= 20; i++) { bar.update(i); await new Promise((r) => setTimeout(r, 20)); }
bar.finish();
const loss = lossPlot({ throttleMs: 0 });
for (let s = 1; s <= 30; s++) loss.append('train', s, 1 / s);
loss.flush();
const nA = 5, tn = 32, proj = new Float32Array(nA * tn * tn).map((_, q) => Math.sin(q / 7));
const tv = tiltViewer({ data: proj, shape: [nA, tn, tn], pixelSizeA: 0.5, anglesDeg: [-60, -30, 0, 30, 60].map((t) => [0, t, 0] as [number, number, number]) });`),
      code(`console.log('KERNEL_STATE ' + JSON.stringify({ threshold: v.threshold, visible: v.visibleCount }));`),
      code(`v.atoms = v.survivors()!; console.log('KERNEL_SET_ATOMS ' + v.atoms!.species.length);`),
    ]),
    null,
    1,
  ),
);
fs.writeFileSync(
  path.join(process.argv[2], 'perf.ipynb'),
  JSON.stringify(
    nb([
      code(DATA.replace('const p = particle(64, 0.4, 2.0, 7);', 'const p = particle(256, 0.25, 2.2, 11);')),
      code(`const v = slicer(p.refined, p.atoms, { threshold: 0.2, label: '256³' });`),
      code(`const m = 100000; const pos = new Float64Array(3 * m); const r = rng(3); const sp: string[] = []; const sc = new Float64Array(m);
for (let i = 0; i < m; i++) { pos[3 * i] = 100 * r(); pos[3 * i + 1] = 100 * r(); pos[3 * i + 2] = 100 * r(); sp.push(r() < 0.5 ? 'Pt' : 'Pd'); sc[i] = r(); }
const big = atomViewer({ positionsA: pos, species: sp, scores: { peak: sc } }, { markerSizePx: 2 });`),
    ]),
    null,
    1,
  ),
);

// Files for the file-browser viewers: a 32³ MRC (mode 2) with one Gaussian blob, and an extended XYZ with a
// hostile comment line and species label (must show as text, never run).
{
  const n = 32;
  const buf = Buffer.alloc(1024 + 4 * n ** 3);
  [n, n, n, 2, 0, 0, 0, n, n, n].forEach((v, i) => buf.writeInt32LE(v, 4 * i));
  [16, 16, 16, 90, 90, 90].forEach((v, i) => buf.writeFloatLE(v, 40 + 4 * i));
  [1, 2, 3].forEach((v, i) => buf.writeInt32LE(v, 64 + 4 * i));
  buf.write('MAP ', 208, 'ascii');
  buf.writeUInt8(0x44, 212);
  buf.writeUInt8(0x41, 213);
  for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) for (let i = 0; i < n; i++)
    buf.writeFloatLE(Math.exp(-((i - 16) ** 2 + (j - 12) ** 2 + (k - 20) ** 2) / 18), 1024 + 4 * ((k * n + j) * n + i));
  fs.writeFileSync(path.join(process.argv[2], 'particle.mrc'), buf);
  const lines = ['5', 'Properties=species:S:1:pos:R:3:peak:R:1 comment="<img src=x onerror=window.__pwned=1>"'];
  lines.push('Pt 0 0 0 0.9', 'Pt 2.7 0 0 0.8', 'Pd 0 2.7 0 0.7', 'Pd 0 0 2.7 0.3', '<b>X</b> 2.7 2.7 2.7 0.5');
  fs.writeFileSync(path.join(process.argv[2], 'particle.xyz'), lines.join('\n') + '\n');
}
