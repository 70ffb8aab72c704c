import {execute} from '@oclif/core'

/** The CLI: bin/run.js calls this from the bundle (dist/rigor.cjs), with its own URL so oclif finds package.json. */
export async function run(binUrl: string): Promise<void> {
  await execute({dir: binUrl})
}
