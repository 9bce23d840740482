// Webpack build of the pann-aet JupyterLab app (after jupyterlab/jupyterlab examples/app).
const path = require('path');
const webpack = require('webpack');
const { Build } = require('@jupyterlab/builder');
const miniSVGDataURI = require('mini-svg-data-uri');

const output = path.resolve(__dirname, 'build');
const assets = Build.ensureAssets({ packageNames: require('./extensions'), output });

module.exports = [
  {
    entry: [path.resolve(__dirname, 'index.js')],
    output: { path: output, filename: 'bundle.js', chunkFilename: '[name].[contenthash].js' },
    bail: true,
    devtool: false,
    cache: { type: 'filesystem', cacheDirectory: path.resolve(__dirname, '..', 'node_modules', '.cache', 'webpack-app') },
    mode: process.env.PANN_LAB_MODE === 'production' ? 'production' : 'development',
    performance: { hints: false },
    module: {
      rules: [
        { test: /\.css$/, use: ['style-loader', 'css-loader'] },
        { test: /\.raw\.css$/, type: 'asset/source' },
        { test: /\.html$/, type: 'asset/resource' },
        { test: /\.md$/, type: 'asset/source' },
        { test: /\.(jpg|png|gif)$/, type: 'asset/resource' },
        { test: /\.js.map$/, type: 'asset/resource' },
        { test: /\.(woff2?|ttf)(\?v=\d+\.\d+\.\d+)?$/, type: 'asset' },
        { test: /\.eot(\?v=\d+\.\d+\.\d+)?$/, type: 'asset/resource' },
        { test: /\.svg(\?v=\d+\.\d+\.\d+)?$/, issuer: /\.css$/, type: 'asset/inline', generator: { dataUrl: (content) => miniSVGDataURI(content.toString()) } },
        { test: /\.svg(\?v=\d+\.\d+\.\d+)?$/, issuer: /\.[jt]sx?$/, type: 'asset/source' },
        { test: /\.m?js$/, resolve: { fullySpecified: false } },
      ],
    },
    resolve: { fallback: { fs: false, path: false, crypto: false } },
    // Some packages read process.env / process.cwd(); give them browser stand-ins.
    plugins: [new webpack.DefinePlugin({ 'process.env': '{}', 'process.cwd': '(() => "/")' })],
  },
].concat(assets);
