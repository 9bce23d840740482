/**
 * @pann-aet/jupyterlab: registers the pann-aet widget models and views with JupyterLab's ipywidgets manager.
 * The .mrc/.xyz file viewers are the MIME extension in ./mime.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IJupyterWidgetRegistry } from '@jupyter-widgets/base';
import { applySettings } from './settings';
import { MODULE_NAME, MODULE_VERSION } from './version';
import '../style/index.css';

export const PLUGIN_ID = '@pann-aet/jupyterlab:plugin';

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'pann-aet views (slicer, atom viewer, tilt series, plots, progress) for the ipywidgets manager.',
  autoStart: true,
  requires: [IJupyterWidgetRegistry],
  optional: [ISettingRegistry],
  activate: (_app: JupyterFrontEnd, registry: IJupyterWidgetRegistry, settings: ISettingRegistry | null) => {
    registry.registerWidget({ name: MODULE_NAME, version: MODULE_VERSION, exports: () => import('./widgets') as never });
    if (settings) {
      void settings
        .load(PLUGIN_ID)
        .then((s) => {
          const apply = (): void => applySettings(s.composite as Record<string, unknown>);
          apply();
          s.changed.connect(apply);
        })
        .catch((e: unknown) => console.warn('pann-aet: settings not loaded, using defaults', e));
    }
  },
};

export default plugin;
export { MODULE_NAME, MODULE_VERSION };
