/**
 * File viewers: opening a `.mrc` volume or a `.xyz` atomic model from the file browser shows it in the slicer
 * or the atom viewer (a JupyterLab MIME renderer extension with file types, as in extension-examples'
 * `mimerenderer`). Parsing happens in the browser; nothing from the file is inserted as HTML.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import { AtomPanel } from './atoms3d';
import { el } from './dom';
import { base64ToBytes, parseMrc, parseXyz } from './formats';
import { viewerDefaults as D } from './settings';
import { quantise, SlicerPanel } from './slicer';

export const MRC_MIME = 'application/vnd.pann-aet.mrc';
export const XYZ_MIME = 'chemical/x-xyz';

class FileRenderer extends Widget implements IRenderMime.IRenderer {
  private disposeInner: (() => void) | undefined;
  constructor(private readonly mimeType: string) {
    super();
    this.addClass('pann-file-viewer');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this.disposeInner?.();
    this.node.textContent = '';
    const raw = model.data[this.mimeType] as string;
    try {
      if (this.mimeType === MRC_MIME) {
        const v = parseMrc(base64ToBytes(raw), D.maxFileVoxels);
        const q = quantise(v.data);
        const info = el('div', 'pann-title', `${v.shape[2]}×${v.shape[1]}×${v.shape[0]} voxels (x×y×z), ${v.voxelSizeA.toFixed(3)} Å${v.binning > 1 ? `, binned ×${v.binning} for display` : ''}`);
        const s = new SlicerPanel({
          volume: { bytes: q.bytes, range: q.range, label: '' },
          shape: v.shape,
          voxelSizeA: v.voxelSizeA,
          atoms: { positions: new Float32Array(0), species: [], scores: new Float32Array(0), scoreName: '' },
          threshold: 0,
          atomSlabA: D.atomSlabA,
          mipSlabA: 0,
          colormap: D.colormap,
          autoPercentiles: D.autoPercentiles,
          window: null,
          cursor: [v.shape[0] >> 1, v.shape[1] >> 1, v.shape[2] >> 1],
        });
        this.node.append(info, s.node);
        this.disposeInner = () => s.dispose();
      } else {
        const a = parseXyz(raw);
        let lo = Infinity;
        for (const s of a.scores) lo = Math.min(lo, s);
        const p = new AtomPanel({ positions: a.positions, species: a.species, scores: a.scores, scoreName: a.scoreName, probabilities: new Float32Array(0), probabilityLabels: [], minScore: Number.isFinite(lo) ? lo : 0, hiddenSpecies: [], bondCutoffA: 0, markerSizePx: D.markerSizePx, title: a.comment });
        this.node.appendChild(p.node);
        this.disposeInner = () => p.dispose();
      }
    } catch (e) {
      this.node.appendChild(el('pre', 'pann-error', `Cannot show this file: ${(e as Error).message}`));
    }
  }

  dispose(): void {
    this.disposeInner?.();
    super.dispose();
  }
}

const rendererFactory = (mime: string): IRenderMime.IRendererFactory => ({ safe: true, mimeTypes: [mime], createRenderer: () => new FileRenderer(mime) });

/** The MIME renderer extensions for .mrc and .xyz files. */
const extensions: IRenderMime.IExtension[] = [
  {
    id: '@pann-aet/jupyterlab:mrc',
    rendererFactory: rendererFactory(MRC_MIME),
    rank: 0,
    dataType: 'string',
    fileTypes: [{ name: 'pann-mrc', displayName: 'MRC volume', mimeTypes: [MRC_MIME], extensions: ['.mrc', '.map', '.rec'], fileFormat: 'base64' }],
    documentWidgetFactoryOptions: { name: 'pann-aet slicer', primaryFileType: 'pann-mrc', fileTypes: ['pann-mrc'], defaultFor: ['pann-mrc'], modelName: 'base64' },
  },
  {
    id: '@pann-aet/jupyterlab:xyz',
    rendererFactory: rendererFactory(XYZ_MIME),
    rank: 0,
    dataType: 'string',
    fileTypes: [{ name: 'pann-xyz', displayName: 'XYZ atomic model', mimeTypes: [XYZ_MIME], extensions: ['.xyz', '.extxyz'], fileFormat: 'text' }],
    documentWidgetFactoryOptions: { name: 'pann-aet atom viewer', primaryFileType: 'pann-xyz', fileTypes: ['pann-xyz'], defaultFor: ['pann-xyz'] },
  },
];

export default extensions;
