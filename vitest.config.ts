import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // one `rigor init` for the run, copied by workspace() (test/integration/helpers.ts)
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // integration tests spawn many git and node processes; two cores here
    maxWorkers: 2,
  },
})
