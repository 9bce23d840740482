/**
 * Writes app/core/package.json: the "core" description @jupyterlab/builder's build-labextension needs
 * (what JupyterLab's python package ships as staging/package.json): the JupyterLab 4.5.10 packages this
 * workspace pins, with the singletons the running JupyterLab provides, so the prebuilt extension bundles
 * none of them.
 */
const fs = require('fs');
const path = require('path');
const nm = path.resolve(__dirname, '../../node_modules');
const version = (name) => JSON.parse(fs.readFileSync(path.join(nm, name, 'package.json'), 'utf8')).version;
const scope = (s) => (fs.existsSync(path.join(nm, s)) ? fs.readdirSync(path.join(nm, s)).map((n) => `${s}/${n}`) : []);
const deps = {};
const singletons = [];
for (const name of [...scope('@jupyterlab'), ...scope('@lumino')]) {
  if (name === '@jupyterlab/builder') continue;
  deps[name] = `~${version(name)}`;
  if (!name.endsWith('-extension')) singletons.push(name);
}
for (const name of ['@jupyter/ydoc', '@jupyter/web-components', '@jupyter/react-components', 'react', 'react-dom', 'yjs', '@codemirror/state', '@codemirror/view', '@codemirror/language', '@lezer/common', '@lezer/highlight']) {
  if (fs.existsSync(path.join(nm, name, 'package.json'))) {
    deps[name] = `^${version(name)}`;
    singletons.push(name);
  }
}
fs.mkdirSync(path.join(__dirname, 'core'), { recursive: true });
fs.writeFileSync(
  path.join(__dirname, 'core', 'package.json'),
  JSON.stringify({ name: '@pann-aet/lab-core-meta', private: true, version: version('@jupyterlab/application'), dependencies: deps, jupyterlab: { singletonPackages: singletons.sort() } }, null, 1) + '\n',
);
