import base from './jest.config.js';

/** `npm run test:chaos`: the slow fault tests (child servers, kills, outages), one file at a time. */
export default {
  ...base,
  testMatch: ['<rootDir>/test/chaos/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 240_000,
  maxWorkers: 1,
};
