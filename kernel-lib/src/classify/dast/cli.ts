/**
 * `pann train dast` (and `pann dast-data`-style data generation as its `--generate` step): a commander
 * Command the CLI mounts under `train`. Thin adapter over `makeDastSample` and `trainDast`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { makeDastSample, randomScenario, sampleToJson } from './dataset';
import { trainDast } from './train';

/** Options of {@link generateDastData}. */
export interface GenerateDastDataOptions {
  /** Output JSON-lines file (appended; seeds already present are skipped, so it resumes). */
  outFile: string;
  /** First seed and number of scenarios. */
  firstSeed: number;
  count: number;
  /** 'train' or 'unseen' (held-out elements). */
  split?: 'train' | 'unseen';
  /** Fraction (0–1) of scenarios traced on the GLARE-refined volume (see `randomScenario`). Default 0. */
  glareFraction?: number;
  onSample?: (e: {
    seed: number;
    done: number;
    total: number;
    atoms: number | null;
    message: string;
  }) => void;
}

/** Simulates, traces and labels `count` random scenarios into a JSON-lines file (resumable). */
export async function generateDastData(o: GenerateDastDataOptions): Promise<number> {
  const done = new Set<number>();
  if (fs.existsSync(o.outFile)) {
    for (const line of fs.readFileSync(o.outFile, 'utf8').split('\n'))
      if (line.trim()) done.add(JSON.parse(line).scenario.seed);
  } else fs.mkdirSync(path.dirname(path.resolve(o.outFile)), { recursive: true });
  let made = 0;
  for (let i = 0; i < o.count; i++) {
    const seed = o.firstSeed + i;
    if (done.has(seed)) continue;
    const sc = randomScenario(seed, o.split ?? 'train', o.glareFraction ?? 0);
    let atoms: number | null = null;
    let message = `${Object.keys(sc.composition).join('')} ${sc.ordering}${sc.amorphous ? ' amorphous' : ''} ${sc.totalDoseEPerA2} e/A2 ${sc.recon.method}${sc.refine === 'glare' ? ' + glare' : ''}`;
    try {
      const s = await makeDastSample(sc);
      if (s) {
        fs.appendFileSync(o.outFile, sampleToJson(s) + '\n');
        atoms = s.nAtoms;
        made++;
      } else message += ': too few atoms traced, skipped';
    } catch (e) {
      message += `: skipped (${(e as Error).message})`;
    }
    o.onSample?.({ seed, done: i + 1, total: o.count, atoms, message });
  }
  return made;
}

/**
 * The `dast` subcommand of `pann train`:
 *   pann train dast --generate 600 --data models/dast/data/train.jsonl --out models/dast --steps 2000
 */
export function trainCommand(): Command {
  return new Command('dast')
    .description('train the DAST species classifier (optionally simulating its training data first)')
    .option('--data <files...>', 'JSON-lines training data files', ['dast-data/train.jsonl'])
    .option(
      '--generate <n>',
      'first simulate n random scenarios into the first data file (resumable)',
      (v) => parseInt(v, 10),
      0,
    )
    .option('--first-seed <n>', 'first scenario seed for --generate', (v) => parseInt(v, 10), 0)
    .option(
      '--glare-fraction <p>',
      'with --generate: fraction (0–1) of scenarios traced on the GLARE-refined volume',
      parseFloat,
      0,
    )
    .option('--out <dir>', 'model directory (checkpoints; resumes from it)', 'models/dast')
    .option('--kind <kind>', "'dast' (graph Transformer) or 'mlp' (intensity-only ablation)", 'dast')
    .option('--steps <n>', 'training steps', (v) => parseInt(v, 10), 2000)
    .option('--batch-atoms <n>', 'atoms per batch', (v) => parseInt(v, 10), 2500)
    .option('--lr <x>', 'Adam learning rate', parseFloat, 2e-3)
    .option('--max-seconds <s>', 'stop (with a checkpoint) after s seconds', parseFloat)
    .option('--seed <n>', 'seed of initialisation and data order', (v) => parseInt(v, 10), 0)
    .option('--no-resume', 'start from scratch even if a checkpoint exists')
    .option('--generate-only', 'only simulate the data (with --generate), do not train')
    .action(async (o) => {
      if (o.generate > 0) {
        await generateDastData({
          outFile: o.data[0],
          firstSeed: o.firstSeed,
          count: o.generate,
          glareFraction: o.glareFraction,
          onSample: (e) =>
            console.log(
              `[${e.done}/${e.total}] seed ${e.seed}: ${e.message}${e.atoms ? ` (${e.atoms} atoms)` : ''}`,
            ),
        });
      }
      if (o.generateOnly) return;
      const r = await trainDast({
        dataFiles: o.data,
        modelDir: o.out,
        kind: o.kind,
        steps: o.steps,
        batchAtoms: o.batchAtoms,
        learningRate: o.lr,
        maxSeconds: o.maxSeconds,
        seed: o.seed,
        resume: o.resume,
        command: `pann train dast ${process.argv.slice(4).join(' ')}`.trim(),
        onStep: (e) => {
          if (e.step % 50 === 0)
            console.log(
              `step ${e.step}  loss ${e.loss.toFixed(5)}  lr ${e.learningRate.toExponential(2)}  ${e.seconds.toFixed(0)} s`,
            );
        },
        onValidation: (v) =>
          console.log(
            `validation at step ${v.step}: DAST ${(100 * v.accuracy).toFixed(2)} %, k-means ${(100 * v.kmeansAccuracy).toFixed(2)} % (${v.atoms} atoms)`,
          ),
      });
      console.log(`saved ${r.modelDir} after ${r.steps} steps (${r.seconds.toFixed(0)} s)`);
    });
}
