import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'tests/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'node_modules/**', 'dist/**'],
    pool: 'forks',
    // The files share one process and its modules, one after another: loading the application
    // anew for each file took a quarter of the suite's time. Tests hold no state in modules that
    // another file could trip on (docs/CONVENTIONS.md, "Tests").
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Stray outbound HTTP fails the test: fetch to anything but loopback throws.
    setupFiles: ['tests/support/setup.ts'],
    // The embedded suite's files start from one migrated database (tests/support/pglite-template.ts).
    globalSetup: ['tests/support/pglite-template.ts'],
  },
});
