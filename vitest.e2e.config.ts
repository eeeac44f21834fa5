import { defineConfig } from 'vitest/config';

// Browser tests: playwright-core drives Debian's Chromium against the app started as `npm start`
// starts it. The app is built once before the files run, so no two files build at once.
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.test.ts'],
    globalSetup: ['tests/e2e/support/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 300_000,
    // The app answers in milliseconds, but these 2-core machines run other suites alongside.
    expect: { poll: { timeout: 15_000, interval: 100 } },
  },
});
