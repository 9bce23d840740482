/** Markdown table of evaluation metrics (CLI, benchmark, notebook). */
import type { EvaluationMetrics } from './evaluate';

/** One row: a label (method, dose, …) with its metrics and optional extra columns (e.g. R-factor). */
export interface MetricsRow {
  label: string;
  metrics: EvaluationMetrics;
  extra?: Record<string, string | number>;
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : '—');
const num = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : '—');

/**
 * A GitHub-flavoured markdown table: label, true/predicted/matched counts, recovery, false positives,
 * RMSE (pm) raw and with the global shift removed, species accuracy, then the extra columns (union over rows).
 */
export function formatMetricsTable(rows: MetricsRow[]): string {
  const extras = [...new Set(rows.flatMap((r) => Object.keys(r.extra ?? {})))];
  const head = [
    '',
    'true',
    'pred',
    'matched',
    'recovery',
    'false pos.',
    'RMSE (pm)',
    'RMSE, shift removed (pm)',
    'species acc.',
    ...extras,
  ];
  const body = rows.map((r) => {
    const m = r.metrics;
    const cells = [
      r.label.replace(/\|/g, '\\|'),
      String(m.nTrue),
      String(m.nPred),
      String(m.nMatched),
      pct(m.recoveryRate),
      pct(m.falsePositiveRate),
      num(m.rmsePm, 1),
      num(m.rmseShiftRemovedPm, 1),
      pct(m.speciesAccuracy),
      ...extras.map((k) => {
        const v = r.extra?.[k];
        return v === undefined ? '' : typeof v === 'number' ? num(v, 4) : v.replace(/\|/g, '\\|');
      }),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  const align = head.map((_, i) => (i === 0 ? '---' : '---:'));
  return [`| ${head.join(' | ')} |`, `| ${align.join(' | ')} |`, ...body].join('\n') + '\n';
}
