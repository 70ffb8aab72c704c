import {defineConfig} from 'vitest/config'
import {LongestFirst} from './test/helpers/longest-first.js'

// Node reads the file NODE_EXTRA_CA_CERTS names (a whole CA bundle on some machines, CI's among them) at the start of
// every process, 40 ms of CPU each, before any of its code runs; the suite starts thousands of node processes (rigor,
// its runner helper, fixtures) and makes no TLS connection. The variable is dropped here, before vitest starts its
// workers, so that no process of the suite inherits it (docs/benchmarks.md, twenty-third pass).
delete process.env.NODE_EXTRA_CA_CERTS

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // one `rigor init` for the run, copied by workspace() (test/integration/helpers.ts)
    globalSetup: ['test/helpers/global-setup.ts'],
    // generous: on 2 shared cores loaded by a second suite, a test takes two to three times its idle time
    testTimeout: 300_000,
    hookTimeout: 60_000,
    // integration tests spawn many git and node processes and often wait on them (leases, signals, Slurm, a runner's
    // sleep): on 2 cores, 3 files at once kept both busy where 2 left a quarter of the CPU idle (vitest 605 s -> 517 s);
    // at 171 files, 4 took 24 s off 3's 9 min 58 s for the same CPU (docs/benchmarks.md, twenty-second pass)
    maxWorkers: 4,
    // a worker process runs file after file instead of one process per file: the files share no module state (no module
    // globals in src/, tests restore the environment they change), and a fresh process with vitest's runtime and the
    // file's imports cost 0.5-1 s of CPU per file, 10% of the suite's CPU (docs/benchmarks.md, fifteenth pass)
    isolate: false,
    sequence: {sequencer: LongestFirst},
  },
})
