import { defineConfig } from 'vitest/config';

export default defineConfig({
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  test: {
    include: ['test/**/*.spec.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Specs open thousands of sockets; running files one at a time keeps a 2-core box honest.
    fileParallelism: false,
    pool: 'forks',
  },
});
