#!/usr/bin/env node
/**
 * Command line of the pann-aet kernel:
 *   node kernel-lib/dist/kernel/main.js install [--user | --prefix DIR] [--python PY]
 *   node kernel-lib/dist/kernel/main.js kernel --config-path CONNECTION_FILE   (what Jupyter runs)
 */
import { Command } from 'commander';
import { installKernelSpec, KERNEL_DISPLAY_NAME } from './kernelspec';
import { startKernel } from './launcher';

/** Parse argv and run. */
export function main(argv = process.argv): void {
  const program = new Command('pann-kernel');
  program
    .command('install')
    .description(`install the "${KERNEL_DISPLAY_NAME}" kernelspec`)
    .option('--user', 'per-user kernels folder (default when not root)')
    .option('--prefix <dir>', 'install into DIR/share/jupyter/kernels')
    .option('--python <python>', 'python with jupyter_client')
    .action((o: { user?: boolean; prefix?: string; python?: string }) => {
      const user = o.user ?? (!o.prefix && process.getuid?.() !== 0);
      console.log(`installed ${KERNEL_DISPLAY_NAME} in ${installKernelSpec({ user, prefix: o.prefix, python: o.python })}`);
    });
  program
    .command('kernel')
    .description('start the kernel (Jupyter runs this)')
    .requiredOption('--config-path <file>', 'Jupyter connection file')
    .action((o: { configPath: string }) => startKernel(o.configPath));
  program.parse(argv);
}

if (require.main === module) main();
