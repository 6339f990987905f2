// Two projects: `unit` (pure, no I/O) and `integration` (real PostgreSQL and Kafka, started once by
// the global set-up; services run as real processes). `npm test` runs both.
/** @type {import('jest').Config} */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];

const common = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': swc,
    '/node_modules/(@platformatic|jose)/.+\\.js$': '<rootDir>/test/support/esm-to-cjs-transformer.cjs',
  },
  transformIgnorePatterns: ['/node_modules/(?!@platformatic/|jose/)'],
  moduleNameMapper: {
    '^@vigil/(contracts|messaging|telemetry|platform)$': '<rootDir>/libs/$1/src/index.ts',
  },
};

module.exports = {
  // Integration tests wait on real processes; unit tests finish far sooner.
  testTimeout: 120_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/libs/**/*.int-spec.ts', '<rootDir>/apps/**/*.int-spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.mjs',
      globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
    },
  ],
};
