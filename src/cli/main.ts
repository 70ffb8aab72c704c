import {execute, settings} from '@oclif/core'

/** The CLI: bin/run.js calls this from the bundle (dist/rigor.cjs), with its own URL so oclif finds package.json. */
export async function run(binUrl: string): Promise<void> {
  // rigor runs as one bundle, never from its TypeScript sources: with NODE_ENV=test or development (a test runner, a
  // developer's shell) oclif would otherwise look for a tsconfig and load the typescript package to read it, 170 ms of
  // every command's start-up wherever typescript is installed (docs/benchmarks.md, twenty-third pass)
  settings.enableAutoTranspile = false
  await execute({dir: binUrl})
}
