import {relative} from 'node:path'
import {BaseSequencer, type TestSpecification} from 'vitest/node'

/**
 * The test files that take longest (about 30 s or more each with 3 files at once on 2 cores), slowest first. Without
 * vitest's cache of durations (a fresh CI machine) files start in order of size, and a small slow file (demo.test.ts,
 * pipeline-parallel.test.ts) started near the end makes the whole run wait for it. Keep it roughly current when a file
 * gets much slower or faster: the order matters only for the run's tail.
 */
export const LONGEST_FIRST = [
  'slurm-time-limit',
  'demo',
  'github-workflow',
  'audit',
  'pipeline-parallel',
  'slurm-cancel',
  'slurm-requeue',
  'unreadable-state',
  'json-output',
  'github',
  'holdout',
  'fault-injection',
  'audit-cheats',
  'audit-cheats-more',
  'core-cli',
  'core-cli-failures',
  'remote',
  'pipeline-stale',
  'prefetch',
  'agent',
  'signals',
  'slurm',
  'sandbox',
  'dag-workers',
  'trust-state',
].map((name) => `test/integration/${name}.test.ts`)

/** The files of LONGEST_FIRST, then the other integration tests, then the unit tests; within each, vitest's own order. */
export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files)
    const rank = (file: TestSpecification) => {
      const path = relative(file.project.config.root, file.moduleId)
      const listed = LONGEST_FIRST.indexOf(path)
      if (listed >= 0) return listed
      return LONGEST_FIRST.length + (path.startsWith('test/integration/') ? 0 : 1)
    }
    // Array.prototype.sort is stable: within a rank, vitest's order stays
    return sorted.sort((a, b) => rank(a) - rank(b))
  }
}
