/** The kernel's widget payloads match schema/widgets/*.schema.json (captured from comm_open messages). */
/* eslint-disable @typescript-eslint/no-explicit-any -- untyped JSON from the Jupyter driver and the page */
import Ajv2020 from 'ajv/dist/2020';
import { readFileSync } from 'fs';
import { join } from 'path';
import { commManager } from '../../kernel-lib/src/kernel/comm';
import { atomViewer, lossPlot, progressBar, slicer, tiltViewer } from '../../kernel-lib/src/view';

const opens: { content: any; buffers: unknown[] }[] = [];
commManager().attach({ publish: (t, content, _m, buffers) => t === 'comm_open' && opens.push({ content, buffers: buffers ?? [] }) });

function validate(name: string, msg: { content: any; buffers: unknown[] }): void {
  const schema = JSON.parse(readFileSync(join(__dirname, '../../schema/widgets', `${name}.schema.json`), 'utf8'));
  const { state, buffer_paths } = msg.content.data;
  expect(buffer_paths.map((p: string[]) => p[0]).sort()).toEqual([...schema['x-binary-buffers']].sort());
  const ajv = new Ajv2020({ strict: false });
  const ok = ajv.validate(schema, state);
  if (!ok) throw new Error(`${name}: ${ajv.errorsText()}`);
}

test('every view sends a schema-valid state', () => {
  const atoms = { positionsA: Float64Array.from([0, 0, 0, 1, 1, 1]), species: ['Pt', 'Au'], scores: { peak: Float64Array.from([0.2, 0.9]) } };
  slicer({ data: new Float32Array(27), shape: [3, 3, 3], voxelSizeA: 0.5 }, atoms, { display: false });
  atomViewer(atoms, { display: false });
  tiltViewer({ data: new Float32Array(2 * 4 * 4), shape: [2, 4, 4], pixelSizeA: 0.5, anglesDeg: [[0, -10, 0], [0, 10, 0]] }, { display: false });
  lossPlot({ display: false });
  progressBar({ display: false, stage: 'x', total: 3 });
  expect(opens.map((o) => o.content.data.state._model_name)).toEqual(['SlicerModel', 'AtomViewerModel', 'TiltViewerModel', 'PlotModel', 'ProgressModel']);
  ['slicer', 'atom-viewer', 'tilt-viewer', 'plot', 'progress'].forEach((n, i) => validate(n, opens[i]));
});
