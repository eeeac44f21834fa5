import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'tests/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'node_modules/**', 'dist/**'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Stray outbound HTTP fails the test: fetch to anything but loopback throws.
    setupFiles: ['tests/support/setup.ts'],
    // The embedded suite's files start from one migrated database (tests/support/pglite-template.ts).
    globalSetup: ['tests/support/pglite-template.ts'],
  },
});
