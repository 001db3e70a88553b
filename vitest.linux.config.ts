import { defineConfig } from 'vitest/config';

// The Linux boot tests (npm run test:linux): real kernels from .cache/linux (scripts/setup.sh
// fetches them), minutes per boot, so apart from `npm test`.
export default defineConfig({
  test: {
    include: ['test-linux/**/*.test.ts'],
    testTimeout: 1_800_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
