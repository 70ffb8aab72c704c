import type * as z from 'zod'
import {loadStateDocument} from '../state/documents.js'
import {InputError, RigorError} from '../errors.js'
import type {Repo} from '../git/repo.js'
import {DeploymentFile, PaperResultsFile, type DeployStage} from '../schemas/index.js'
import {deploymentFilePath, paperResultsPath} from './paths.js'

/** A state document read from a committed tree: absent, usable, or unusable with why. */
export type ReadRecord<T> =
  | {kind: 'absent'; file: string}
  | {kind: 'ok'; file: string; doc: T}
  | {kind: 'unusable'; file: string; error: RigorError}

async function readRecord<S extends z.ZodType>(
  repo: Repo,
  tree: string | undefined,
  file: string,
  schema: S,
  id: string,
): Promise<ReadRecord<z.infer<S>>> {
  const blob = tree ? await repo.readFileAt(tree, file) : undefined
  if (!blob) return {kind: 'absent', file}
  try {
    const doc = loadStateDocument(schema, blob.toString('utf8'), file) as {node: string}
    if (doc.node !== id)
      throw new InputError(`says node "${doc.node}" but lives at the path of node "${id}"`, {
        file,
        field: 'node',
        fix: 'restore the file from git history',
      })
    return {kind: 'ok', file, doc: doc as z.infer<S>}
  } catch (err) {
    if (err instanceof RigorError) return {kind: 'unusable', file, error: err}
    throw err
  }
}

export async function readDeployment(
  repo: Repo,
  tree: string | undefined,
  stage: DeployStage,
  id: string,
): Promise<ReadRecord<DeploymentFile>> {
  const record = await readRecord(repo, tree, deploymentFilePath(stage, id), DeploymentFile, id)
  if (record.kind === 'ok' && record.doc.stage !== stage) {
    return {
      kind: 'unusable',
      file: record.file,
      error: new InputError(`says stage "${record.doc.stage}" but lives under ${stage}/`, {file: record.file, field: 'stage'}),
    }
  }
  return record
}

export const readPaperResults = (repo: Repo, tree: string | undefined, id: string): Promise<ReadRecord<PaperResultsFile>> =>
  readRecord(repo, tree, paperResultsPath(id), PaperResultsFile, id)
