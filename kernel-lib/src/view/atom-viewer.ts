/** 3D atom viewer (plotly.js WebGL scatter): species colours, hover details, species/confidence filters, bonds. */
import { PannError } from '../core/errors';
import type { AtomicModel } from '../core/types';
import { atomsPayload, countSurvivors } from './payload';
import { PannWidget, type ViewOptions } from './widget';

/** Options of {@link atomViewer}. */
export interface AtomViewerOptions extends ViewOptions {
  /** Score used as confidence (default 'peak'). */
  scoreName?: string;
  /** Minimum confidence shown (default: lowest score). */
  minScore?: number;
  /** Species hidden at start. */
  hiddenSpecies?: string[];
  /** Draw bonds between atoms closer than this (Å); 0 = no bonds (default 0). */
  bondCutoffA?: number;
  /** Marker size in screen pixels (default 4). */
  markerSizePx?: number;
  /** Plain-text title. */
  title?: string;
}

/** Kernel handle of a displayed atom viewer. */
export class AtomViewerWidget extends PannWidget {
  private model: AtomicModel;

  /** @internal use {@link atomViewer} */
  constructor(model: AtomicModel, o: AtomViewerOptions) {
    const a = atomsPayload(model, o.scoreName ?? 'peak');
    let lo = Infinity;
    for (const s of a.scores) if (s < lo) lo = s;
    const minScore = o.minScore ?? (Number.isFinite(lo) ? lo : 0);
    super('AtomViewerModel', 'AtomViewerView', {
      atom_positions: a.positions,
      atom_species: a.species,
      atom_scores: a.scores,
      score_name: a.scoreName,
      atom_probabilities: a.probabilities,
      probability_labels: a.probabilityLabels,
      min_score: minScore,
      hidden_species: o.hiddenSpecies ?? [],
      bond_cutoff_a: o.bondCutoffA ?? 0,
      marker_size_px: o.markerSizePx ?? 4,
      title: o.title ?? '',
      visible_count: countSurvivors(a.scores, a.species.length, minScore),
    });
    this.model = model;
  }

  /** Minimum confidence shown; the frontend slider writes it. */
  get minScore(): number {
    return this.state.min_score as number;
  }
  set minScore(v: number) {
    if (!Number.isFinite(v)) throw new PannError('VALUE', `minScore must be finite, got ${v}`, { field: 'minScore' });
    this.set({ min_score: v });
  }

  /** Species hidden by the filter. */
  get hiddenSpecies(): string[] {
    return this.state.hidden_species as string[];
  }
  set hiddenSpecies(v: string[]) {
    this.set({ hidden_species: [...v] });
  }

  /** Bond cutoff in Å (0 = no bonds). */
  get bondCutoffA(): number {
    return this.state.bond_cutoff_a as number;
  }
  set bondCutoffA(v: number) {
    this.set({ bond_cutoff_a: v });
  }

  /** Atoms shown after the filters, as reported by the frontend. */
  get visibleCount(): number {
    return this.state.visible_count as number;
  }

  /** The displayed model; assigning redraws the view. */
  get atoms(): AtomicModel {
    return this.model;
  }
  set atoms(model: AtomicModel) {
    const a = atomsPayload(model, this.state.score_name as string);
    this.model = model;
    this.set({ atom_positions: a.positions, atom_species: a.species, atom_scores: a.scores, atom_probabilities: a.probabilities, probability_labels: a.probabilityLabels });
  }

  override describe(): string {
    return `AtomViewer(${(this.state.atom_species as string[]).length} atoms, ${this.visibleCount} shown)`;
  }
}

/**
 * Show atoms in a WebGL 3D scatter (plotly.js): colour by species, hover shows index, species, class
 * probabilities and position; filter by species and confidence; optional bonds; PNG and XYZ export.
 * Bytes sent: 12 an atom (Float32 positions) + 4 (score) + 4 per class probability + species labels.
 * @param model - atoms, positions in Å.
 * @param options - see {@link AtomViewerOptions}.
 */
export function atomViewer(model: AtomicModel, options: AtomViewerOptions = {}): AtomViewerWidget {
  const w = new AtomViewerWidget(model, options);
  if (options.display !== false) w.display();
  return w;
}
