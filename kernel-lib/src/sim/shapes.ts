/**
 * Particle shapes. Single-crystal shapes (sphere, cube, octahedron, cuboctahedron, truncated octahedron)
 * are cut from a lattice by facet planes; the multiply twinned shapes (icosahedron, decahedron) are built
 * atom by atom, since they are not pieces of one lattice.
 *
 * Size convention for every shape: `diameterA` is the CIRCUMSCRIBED diameter (vertex to vertex through
 * the centre, Å) — the smallest sphere about the centre that holds the shape. That is what must fit in the
 * volume; for a sphere it is the plain diameter.
 */
import { PannError } from '../core/errors';
import { CellGrid } from './neighbours';

/** Shapes the builder knows. */
export type ShapeKind = 'sphere' | 'cube' | 'octahedron' | 'cuboctahedron' | 'truncated-octahedron' | 'decahedron' | 'icosahedron';

export const SHAPES: readonly ShapeKind[] = ['sphere', 'cube', 'octahedron', 'cuboctahedron', 'truncated-octahedron', 'decahedron', 'icosahedron'];

/** True for shapes built directly as multiply twinned clusters (not cut from a lattice). */
export function isTwinnedShape(shape: ShapeKind): boolean {
  return shape === 'decahedron' || shape === 'icosahedron';
}

/**
 * Inside-test of a lattice-cut shape centred at the origin, with facets normal to the crystal axes:
 * {100} planes at |x|,|y|,|z| ≤ h100 and {111} planes at |x|+|y|+|z| ≤ h111.
 * @param shape the shape
 * @param diameterA circumscribed diameter in Å
 * @returns a predicate on (x, y, z) in Å (with a tolerance of 1e-6 Å so sites on facets are kept)
 */
export function shapePredicate(shape: ShapeKind, diameterA: number): (x: number, y: number, z: number) => boolean {
  const R = diameterA / 2;
  const eps = 1e-6;
  switch (shape) {
    case 'sphere': {
      const r2 = (R + eps) * (R + eps);
      return (x, y, z) => x * x + y * y + z * z <= r2;
    }
    case 'cube': {
      const h = R / Math.sqrt(3) + eps; // vertices (h, h, h)
      return (x, y, z) => Math.abs(x) <= h && Math.abs(y) <= h && Math.abs(z) <= h;
    }
    case 'octahedron': {
      const h = R + eps; // vertices (h, 0, 0)
      return (x, y, z) => Math.abs(x) + Math.abs(y) + Math.abs(z) <= h;
    }
    case 'cuboctahedron': {
      // Vertices (s, s, 0): {100} at s, {111} at 2s, circumradius s√2.
      const s = R / Math.SQRT2;
      const h100 = s + eps,
        h111 = 2 * s + eps;
      return (x, y, z) => {
        const ax = Math.abs(x),
          ay = Math.abs(y),
          az = Math.abs(z);
        return ax <= h100 && ay <= h100 && az <= h100 && ax + ay + az <= h111;
      };
    }
    case 'truncated-octahedron': {
      // Regular truncated octahedron, vertices = permutations of (0, s, 2s): {100} at 2s, {111} at 3s, circumradius s√5.
      const s = R / Math.sqrt(5);
      const h100 = 2 * s + eps,
        h111 = 3 * s + eps;
      return (x, y, z) => {
        const ax = Math.abs(x),
          ay = Math.abs(y),
          az = Math.abs(z);
        return ax <= h100 && ay <= h100 && az <= h100 && ax + ay + az <= h111;
      };
    }
    default:
      throw new PannError('OPTION', `shape '${shape}' is multiply twinned and is not cut from a lattice`, { field: 'shape' });
  }
}

/** Ratio of radial to tangential nearest-neighbour spacing in a Mackay icosahedron (circumradius / edge of a regular icosahedron). */
export const ICOSAHEDRON_RADIAL_RATIO = Math.sqrt(10 + 2 * Math.sqrt(5)) / 4; // 0.9511

/** The 12 vertices of a regular icosahedron with unit edge. */
function icosahedronVertices(): number[][] {
  const p = (1 + Math.sqrt(5)) / 2;
  const v: number[][] = [];
  for (const s1 of [-1, 1])
    for (const s2 of [-1, 1]) {
      v.push([0, s1 / 2, (s2 * p) / 2], [s1 / 2, (s2 * p) / 2, 0], [(s2 * p) / 2, 0, s1 / 2]);
    }
  return v;
}

/**
 * A Mackay icosahedron: a centre atom plus `shells` closed shells, shell k holding 10k² + 2 atoms
 * (totals 13, 55, 147, 309, …). Twenty fcc tetrahedra share the centre and are twinned on their {111}
 * faces; intra-shell spacing is `edgeSpacingA`, shell-to-shell spacing along the 5-fold axes is
 * 0.951 · edgeSpacingA (the well-known radial compression).
 * @param shells number of closed shells (≥ 0)
 * @param edgeSpacingA atom spacing along a shell edge (Å)
 * @returns x, y, z per atom in Å, centre atom first
 */
export function mackayIcosahedron(shells: number, edgeSpacingA: number): Float64Array {
  const V = icosahedronVertices();
  const edges: [number, number][] = [];
  for (let i = 0; i < 12; i++)
    for (let j = i + 1; j < 12; j++) if (Math.abs(dist(V[i], V[j]) - 1) < 1e-9) edges.push([i, j]);
  const faces: [number, number, number][] = [];
  for (const [i, j] of edges)
    for (let k = j + 1; k < 12; k++) if (Math.abs(dist(V[i], V[k]) - 1) < 1e-9 && Math.abs(dist(V[j], V[k]) - 1) < 1e-9) faces.push([i, j, k]);
  const out: number[] = [0, 0, 0];
  for (let k = 1; k <= shells; k++) {
    const s = k * edgeSpacingA;
    for (const v of V) out.push(v[0] * s, v[1] * s, v[2] * s);
    for (const [i, j] of edges)
      for (let m = 1; m < k; m++) {
        const t = m / k;
        for (let d = 0; d < 3; d++) out.push((V[i][d] * (1 - t) + V[j][d] * t) * s);
      }
    for (const [i, j, l] of faces)
      for (let a = 1; a < k; a++)
        for (let b = 1; a + b < k; b++) {
          // Interior points of the triangular face: V_i + (a/k)(V_j − V_i) + (b/k)(V_l − V_i).
          for (let d = 0; d < 3; d++) out.push((V[i][d] + (a / k) * (V[j][d] - V[i][d]) + (b / k) * (V[l][d] - V[i][d])) * s);
        }
  }
  return Float64Array.from(out);
}

/**
 * A decahedron (Ino-style, simplified): five fcc tetrahedra sharing one edge — the 5-fold axis, along z —
 * and twinned on the five {111} planes that contain it. Each tetrahedron is filled with the fcc sites
 * (a·A + b·B + c·C + d·D)/n, a+b+c+d = n, of its vertices A, B (axis ends) and C, D (neighbouring equatorial
 * vertices); the 7.35° closure gap of five ideal tetrahedra is taken up as a small equatorial strain
 * (equatorial edges equal the axial spacing, the others are 1.3 % shorter). Ino's {100} truncation is
 * approximated by cutting the five equatorial corners with planes at `truncation` × the vertex radius.
 * @param n atom spacings along the axis (axis holds n + 1 atoms), ≥ 1
 * @param spacingA nearest-neighbour spacing along the axis (Å)
 * @param truncation 0.5–1; 1 keeps the full pentagonal bipyramid
 * @returns x, y, z per atom in Å, centred at the origin
 */
export function inoDecahedron(n: number, spacingA: number, truncation = 1): Float64Array {
  const L = n * spacingA;
  const r = L / (2 * Math.sin(Math.PI / 5)); // equatorial vertex radius: equatorial edge = axial edge
  const A = [0, 0, -L / 2],
    B = [0, 0, L / 2];
  const P = Array.from({ length: 5 }, (_, k) => [r * Math.cos((2 * Math.PI * k) / 5), r * Math.sin((2 * Math.PI * k) / 5), 0]);
  const cut = truncation * r + 1e-6;
  const tol = 1e-4 * spacingA;
  const grid = new CellGrid([-r - 1, -r - 1, -L / 2 - 1], [r + 1, r + 1, L / 2 + 1], spacingA / 2);
  const out: number[] = [];
  for (let w = 0; w < 5; w++) {
    const C = P[w],
      D = P[(w + 1) % 5];
    for (let a = 0; a <= n; a++)
      for (let b = 0; a + b <= n; b++)
        for (let c = 0; a + b + c <= n; c++) {
          const d = n - a - b - c;
          const x = (a * A[0] + b * B[0] + c * C[0] + d * D[0]) / n;
          const y = (a * A[1] + b * B[1] + c * C[1] + d * D[1]) / n;
          const z = (a * A[2] + b * B[2] + c * C[2] + d * D[2]) / n;
          let inside = true;
          for (const p of P) if ((x * p[0] + y * p[1]) / r > cut) inside = false;
          if (!inside || grid.anyWithin(x, y, z, tol)) continue; // twin-plane sites are shared by two wedges
          grid.add(x, y, z);
          out.push(x, y, z);
        }
  }
  return Float64Array.from(out);
}

function dist(a: number[], b: number[]): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}
