/* global window, document */
// JupyterLab 4 app with the pann-aet extension, in the style of jupyterlab/jupyterlab examples/app.
import { JupyterLab } from '@jupyterlab/application';
import { PageConfig } from '@jupyterlab/coreutils';

// The public path must be set before any asset loads.
// eslint-disable-next-line no-undef
__webpack_public_path__ = PageConfig.getOption('fullStaticUrl') + '/';

const styles = import('./build/style.js');

function pluginsOf(mod) {
  const e = Object.prototype.hasOwnProperty.call(mod, '__esModule') ? mod.default : mod;
  return Array.isArray(e) ? e : [e];
}

/** Drop plugins whose required services no bundled plugin provides (they would fail to activate). */
function bundledOnly(plugins) {
  let kept = plugins;
  for (;;) {
    const provided = new Set(kept.filter((p) => p.provides).map((p) => p.provides.name));
    const next = kept.filter((p) => (p.requires || []).every((t) => provided.has(t.name)));
    if (next.length === kept.length) return kept;
    kept = next;
  }
}

window.addEventListener('load', async () => {
  await styles;
  const extensions = await Promise.all([
    import('@jupyterlab/application-extension'),
    import('@jupyterlab/apputils-extension'),
    import('@jupyterlab/codemirror-extension'),
    import('@jupyterlab/completer-extension'),
    import('@jupyterlab/console-extension'),
    import('@jupyterlab/docmanager-extension'),
    import('@jupyterlab/documentsearch-extension'),
    import('@jupyterlab/filebrowser-extension'),
    import('@jupyterlab/fileeditor-extension'),
    import('@jupyterlab/launcher-extension'),
    import('@jupyterlab/mainmenu-extension'),
    import('@jupyterlab/markedparser-extension'),
    import('@jupyterlab/metadataform-extension'),
    import('@jupyterlab/notebook-extension'),
    import('@jupyterlab/rendermime-extension'),
    import('@jupyterlab/running-extension'),
    import('@jupyterlab/shortcuts-extension'),
    import('@jupyterlab/statusbar-extension'),
    import('@jupyterlab/theme-light-extension'),
    import('@jupyterlab/translation-extension'),
    import('@jupyterlab/ui-components-extension'),
    import('@jupyter-widgets/jupyterlab-manager'),
    import('@pann-aet/jupyterlab'),
  ]);
  const mimeExtensions = await Promise.all([import('@pann-aet/jupyterlab/lib/mime')]);
  const lab = new JupyterLab({ mimeExtensions: mimeExtensions.map(pluginsOf).flat() });
  const all = extensions.map(pluginsOf).flat().filter((p) => !p.id.includes(':language-server'));
  const plugins = bundledOnly(all);
  const dropped = all.filter((p) => !plugins.includes(p)).map((p) => p.id);
  if (dropped.length) console.log('pann-aet app: plugins without bundled dependencies left out:', dropped.join(', '));
  lab.registerPlugins(plugins);
  // As JupyterLab's own app template: expose the app for tests when the page config asks for it.
  if (String(PageConfig.getOption('exposeAppInBrowser')).toLowerCase() === 'true') window.jupyterapp = lab;
  await lab.start();
  await lab.restored;
  console.log('pann-aet app: restored');
  document.body.dataset.pannLabReady = 'true';
});
