/**
 * Registers tfjs-core's gradient functions in CommonJS Node.
 *
 * Why: tfjs-core's CommonJS bundle (`tf-core.node.js`, what `require` loads) contains no
 * gradients; they ship only as ES modules (`dist/register_all_gradients.js` and
 * `dist/gradients/*.js`), which the union package `@tensorflow/tfjs` bundles and this project
 * does not install. Without them `tf.variableGrads` fails ("gradient function not found").
 *
 * How: the ES-module files are loaded with a small import/export → CommonJS rewrite. Modules
 * holding shared state or class identity (engine, tensor, environment, registries) are mapped to
 * the already loaded CommonJS bundle, so the gradients run on the same engine and tensors; every
 * other imported helper (pure functions) is loaded from its ES-module file.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';

/** Modules whose identity or state must be the CommonJS bundle's. */
function sharedModule(rel: string): Record<string, unknown> | null {
  const t = tf as unknown as Record<string, unknown>;
  switch (rel) {
    case 'engine':
      return { ENGINE: tf.engine(), getOrMakeEngine: () => tf.engine(), Engine: t.Engine };
    case 'tensor':
      return { Tensor: tf.Tensor, Variable: tf.Variable, TensorBuffer: tf.TensorBuffer, getGlobalTensorClass: () => tf.Tensor };
    case 'environment':
      return { ...t, env: tf.env, ENV: tf.env() };
    case 'kernel_registry':
      return { getKernel: tf.getKernel, getGradient: tf.getGradient, registerGradient: tf.registerGradient, registerKernel: tf.registerKernel, getKernelsForBackend: tf.getKernelsForBackend };
    case 'globals':
    case 'base':
    case 'index':
    case 'ops/ops':
      return t;
    default:
      return null;
  }
}

const cache = new Map<string, Record<string, unknown>>();

function resolveFile(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  if (fs.existsSync(`${base}.js`)) return `${base}.js`;
  if (fs.existsSync(path.join(base, 'index.js'))) return path.join(base, 'index.js');
  return base;
}

function bindings(spec: string): string {
  // "{ a, b as c }" → "{ a, b: c }"
  return spec.replace(/\bas\b/g, ':');
}

/** Rewrites one ES module's import/export statements to CommonJS and evaluates it. */
function loadEsm(file: string, root: string): Record<string, unknown> {
  const hit = cache.get(file);
  if (hit) return hit;
  const exportsObj: Record<string, unknown> = {};
  cache.set(file, exportsObj);
  let src = fs.readFileSync(file, 'utf8').replace(/\/\/# sourceMappingURL=.*$/m, '');
  const locals: string[] = [];
  const tail: string[] = [];
  let n = 0;
  src = src.replace(/^import\s+\*\s+as\s+(\w+)\s+from\s+'([^']+)';/gm, (_m, name, spec) => `const ${name} = __req(${JSON.stringify(spec)});`);
  src = src.replace(/^import\s+(\{[\s\S]*?\})\s+from\s+'([^']+)';/gm, (_m, b, spec) => `const ${bindings(b)} = __req(${JSON.stringify(spec)});`);
  src = src.replace(/^import\s+(\w+)\s+from\s+'([^']+)';/gm, (_m, name, spec) => `const ${name} = __req(${JSON.stringify(spec)}).default;`);
  src = src.replace(/^import\s+'([^']+)';/gm, (_m, spec) => `__req(${JSON.stringify(spec)});`);
  src = src.replace(/^export\s+\*\s+from\s+'([^']+)';/gm, (_m, spec) => `Object.assign(exports, __req(${JSON.stringify(spec)}));`);
  src = src.replace(/^export\s+(\{[\s\S]*?\})\s+from\s+'([^']+)';/gm, (_m, b: string, spec) => {
    const tmp = `__re${n++}`;
    const pairs = b.replace(/[{}]/g, '').split(',').map((s) => s.trim()).filter(Boolean);
    const assigns = pairs.map((p) => {
      const [from, to] = p.split(/\s+as\s+/);
      return `exports.${to ?? from} = ${tmp}.${from};`;
    });
    return `const ${tmp} = __req(${JSON.stringify(spec)}); ${assigns.join(' ')}`;
  });
  src = src.replace(/^export\s+(\{[\s\S]*?\});/gm, (_m, b: string) => {
    const pairs = b.replace(/[{}]/g, '').split(',').map((s) => s.trim()).filter(Boolean);
    for (const p of pairs) {
      const [from, to] = p.split(/\s+as\s+/);
      tail.push(`exports.${to ?? from} = ${from};`);
    }
    return '';
  });
  src = src.replace(/^export\s+(const|let|var|function\*?|async function|class)\s+(\w+)/gm, (_m, kind, name) => {
    locals.push(name);
    return `${kind} ${name}`;
  });
  src = src.replace(/^export\s+default\s+/gm, 'exports.default = ');
  const getters = locals.map((l) => `Object.defineProperty(exports, ${JSON.stringify(l)}, { enumerable: true, get: () => ${l} });`).join('\n');
  const req = (spec: string): Record<string, unknown> => {
    if (!spec.startsWith('.')) return require(spec) as Record<string, unknown>;
    const target = resolveFile(file, spec);
    const rel = path.relative(root, target).replace(/\.js$/, '').replace(/\\/g, '/');
    const shared = sharedModule(rel);
    if (shared) return shared;
    return loadEsm(target, root);
  };
  let fn: (exports: Record<string, unknown>, req: (spec: string) => Record<string, unknown>) => void;
  try {
    fn = new Function('exports', '__req', `${getters}\n${src}\n${tail.join('\n')}`) as typeof fn;
  } catch (e) {
    throw new Error(`tfjs gradients: cannot load ${file}: ${(e as Error).message}`);
  }
  fn(exportsObj, req);
  return exportsObj;
}

let registered = false;

/** Registers every tfjs-core gradient once (idempotent); returns how many gradients are known afterwards for a probe set. */
export function registerTfjsGradients(): void {
  if (registered || tf.getGradient('Conv3D')) {
    registered = true;
    return;
  }
  const entry = require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  const root = path.dirname(entry);
  loadEsm(entry, root);
  registerConv3dTransposeGradient();
  registered = true;
}

/**
 * tfjs-core has no gradient for Conv3DBackpropInputV2, the kernel behind `conv3dTranspose`.
 * For y = convT(x, W): dx = conv3d(dy, W) and dW = Conv3DBackpropFilterV2(dy, x) (the roles of
 * input and output swap relative to a forward conv).
 */
function registerConv3dTransposeGradient(): void {
  if (tf.getGradient('Conv3DBackpropInputV2')) return;
  tf.registerGradient({
    kernelName: 'Conv3DBackpropInputV2',
    inputsToSave: ['dy', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor5D, tf.Tensor5D];
      const { strides, pad } = attrs as unknown as { strides: [number, number, number]; pad: 'valid' | 'same' };
      const g = (Array.isArray(dy) ? dy[0] : dy) as tf.Tensor5D;
      return {
        dy: () => tf.conv3d(g, filter, strides, pad),
        filter: () => tf.engine().runKernel('Conv3DBackpropFilterV2', { x: g, dy: x }, { strides, pad, filterShape: filter.shape }) as tf.Tensor,
      };
    },
  });
}
