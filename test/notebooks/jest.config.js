/** `npm run test:notebooks`: executes every notebook in notebooks/ through Debian's Jupyter stack. */
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/notebooks/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { isolatedModules: true, module: 'commonjs', target: 'ES2022', esModuleInterop: true } }] },
  testTimeout: 900000,
  maxWorkers: 1,
};
