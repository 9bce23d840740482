/** Browser end-to-end tests (`npm run test:e2e`): real JupyterLab UI in headless Chromium. Not in the default jest run. */
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['**/*.e2e.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: { module: 'commonjs', target: 'ES2022', esModuleInterop: true } }] },
  testTimeout: 600000,
  maxWorkers: 1,
};
