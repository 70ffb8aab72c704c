/**
 * What an audit reads of the run it audits: its outputs as committed, or, for
 * one the run put in the artifact store (over runner.limits.file_size), the
 * store's bytes, checked against the sha256 its verdict records.
 */
import {hostTempDir} from '../temp-dir.js'
import {readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'
import type {ArtifactStore} from '../dag/artifact-store.js'
import {CheckFailedError} from '../errors.js'
import type {Repo} from '../git/repo.js'
import type {VerdictFile} from '../schemas/index.js'
import {outDirPath} from '../state/layout.js'

export async function readRunOutput(
  repo: Repo,
  commit: string,
  verdict: Pick<VerdictFile, 'node' | 'stored' | 'omitted'>,
  name: string,
  store: ArtifactStore | undefined,
): Promise<string | undefined> {
  const committed = await repo.readFileAt(commit, `${outDirPath(verdict.node)}/${name}`)
  if (committed) return committed.toString('utf8')
  const path = `out/${name}`
  const stored = verdict.stored?.find((s) => s.path === path)
  if (!stored) {
    const omitted = verdict.omitted?.find((o) => o.path === path)
    if (omitted)
      throw new CheckFailedError(`${path} of ${verdict.node} was not kept: ${omitted.reason}`, {
        fix: 'configure artifact_store: in rigor.yaml (or raise runner.limits.file_size), run the node again, then audit it',
      })
    return undefined
  }
  if (!store)
    throw new CheckFailedError(`${path} of ${verdict.node} is in the artifact store, and rigor.yaml has no artifact_store:`, {
      fix: 'put artifact_store: back in rigor.yaml, then audit again',
    })
  const dir = await hostTempDir('rigor-audit-output-')
  try {
    const destination = join(dir, name)
    const got = await store.get(stored.sha256, destination)
    if (!got.ok)
      throw new CheckFailedError(`cannot fetch ${path} of ${verdict.node} from the artifact store: ${got.problem}`, {
        fix: 'check artifact_store: in rigor.yaml and that the store still holds it, then audit again',
      })
    return await readFile(destination, 'utf8')
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}
