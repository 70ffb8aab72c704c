import {rmSync} from 'node:fs'
import type {TestProject} from 'vitest/node'
import {rigor} from './cli.js'
import {gitRepo} from './git-repo.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** a repository as `rigor init` leaves it, made once per run; workspace() copies it (test/integration/helpers.ts) */
    initialisedWorkspace: string | undefined
  }
}

/**
 * Runs `rigor init` once for the whole run, instead of once per test: about a hundred tests start from a fresh
 * workspace, and each init is a CLI start (~0.4 s of CPU). Without a built rigor (a unit test run before
 * `npm run build`) nothing is provided and workspace() runs init itself, which then says what is wrong.
 */
export default function setup(project: TestProject): () => void {
  const template = gitRepo()
  const init = rigor(template.dir, ['init'])
  if (init.code !== 0) {
    template.cleanup()
    project.provide('initialisedWorkspace', undefined)
    return () => {}
  }
  project.provide('initialisedWorkspace', template.dir)
  return () => rmSync(template.dir, {recursive: true, force: true})
}
