import {readFile} from 'node:fs/promises'
import type * as z from 'zod'
import {join} from 'node:path'
import {checkDocument} from '../state/checksum.js'
import {checkMarkdownDocument, parseYaml, splitMarkdownDocument, validate} from '../state/documents.js'
import {RigorError} from '../errors.js'
import {artifactDifferences, currentArtifacts, describeDifferences} from '../state/artifacts.js'
import * as schemas from '../schemas/index.js'
import {CHECKSUMMED_DIRS, documentKindOf, EXPERIMENTS_DIR, outDirPath, verdictFilePath} from '../state/layout.js'
import {listTreeFiles, readBlobs} from '../state/tree-files.js'
import type {NodeRecord, Snapshot} from '../state/store.js'
import {cleanGitDir, type GitDirCleanup} from '../state/scratch-dirs.js'
import {staleNodeReasons} from '../dag/inputs.js'
import type {Workspace} from '../state/workspace.js'
import {handChanges, type HandChange} from '../state/hand-changes.js'
import {locallyModifiedStateFiles} from './local-edits.js'
import {RunDataReader} from '../auditor/run-data.js'
import {treeEntryAt} from '../git/tree-walk.js'

export interface VerifyProblem {
  file: string
  where: 'committed' | 'working tree'
  kind: 'corrupt' | 'invalid'
  message: string
}

export interface VerifyReport extends GitDirCleanup {
  ok: boolean
  checked: number
  problems: VerifyProblem[]
  commit: string | null
  /** state paths whose index entry was behind the branch tip in this checkout, and what was done */
  index: {behind: string[]; repaired: number; kept: string[]} | null
  /** finished nodes whose inputs changed upstream since they ran: their verdicts stand, but describe older bytes */
  stale: Array<{id: string; why: string}>
  /** state files a commit not made by rigor changed, still so at the tip (a plain commit of a stale index reverts verdicts) */
  hand_changes: HandChange[]
}

/**
 * Checks every state file: the committed ones on the state branch, and the
 * working-tree copies that differ from them (a hand edit not yet committed).
 */
export async function verifyWorkspace(ws: Workspace): Promise<VerifyReport> {
  // an index behind the branch would let a plain `git commit` revert rigor's commits: mend it first
  await ws.flushSync()
  const problems: VerifyProblem[] = []
  const index =
    (await ws.repairIndex([...CHECKSUMMED_DIRS, 'rigor.yaml']).catch((err: Error) => {
      problems.push({
        file: join(ws.repo.paths.gitDir, 'index'),
        where: 'working tree',
        kind: 'invalid',
        message: `the index is behind the state branch and could not be repaired: ${err.message.split('\n')[0]}`,
      })
      return null
    })) ?? null
  const tip = await ws.readTip()
  let checked = 0
  const snap = await ws.snapshot(tip)
  for (const record of snap.nodes.values()) {
    checked++
    if (record.problem) problems.push(toProblem(record.problem, 'committed'))
    if (record.verdictOid) {
      checked++
      const problem = await ws.store.verdictProblem(record)
      if (problem) problems.push(toProblem(problem, 'committed'))
      else await checkArtifacts(ws, snap.tree, record, problems)
    }
  }
  // every other kind of document of the layout table (audits, handoffs, deployments, reports)
  if (snap.tree) {
    for (const dir of CHECKSUMMED_DIRS.filter((d) => d !== EXPERIMENTS_DIR)) {
      const files = (await listTreeFiles(ws.repo, snap.tree, dir, {recursive: true})).filter((f) => documentKindOf(f.path))
      const blobs = await readBlobs(
        ws.repo,
        files.map((f) => f.oid),
      )
      files.forEach((f, i) => {
        checked++
        const problem = checkText(f.path, blobs[i]!.toString('utf8'))
        if (problem) problems.push({...problem, where: 'committed'})
      })
    }
  }
  for (const path of await locallyModifiedStateFiles(ws)) {
    let text: string
    try {
      text = await readFile(join(ws.root, path), 'utf8')
    } catch {
      continue
    }
    checked++
    const problem = checkText(path, text)
    if (problem) problems.push({...problem, where: 'working tree'})
  }
  const cleanup = await cleanGitDir(ws.repo.paths.commonDir)
  const stale = [...(await staleNodeReasons(ws, snap)), ...(tip && snap.tree ? await dataEditedSinceRun(ws, tip, snap) : [])]
  const hand = tip ? await handChanges(ws.repo, tip) : []
  return {
    ok: problems.length === 0 && hand.length === 0,
    checked,
    problems,
    commit: tip ?? null,
    index,
    ...cleanup,
    stale,
    hand_changes: hand,
  }
}

/**
 * Finished nodes whose data file was edited since they ran (not only appended to): their verdicts stand, but
 * `rigor audit` and `rigor paper` refuse them, as the history they would judge is not the one the run read.
 */
async function dataEditedSinceRun(ws: Workspace, tip: string, snap: Snapshot): Promise<Array<{id: string; why: string}>> {
  const reader = new RunDataReader(ws.repo, tip)
  const current = new Map<string, Promise<string | undefined>>()
  const found: Array<{id: string; why: string}> = []
  for (const record of snap.nodes.values()) {
    const data = record.node?.data
    if (!data || !record.verdictOid) continue
    const verdict = await ws.store.verdict(record).catch(() => undefined)
    if (!verdict?.fingerprint) continue
    if (!current.has(data)) current.set(data, treeEntryAt(ws.repo, snap.tree!, data))
    const oid = await current.get(data)
    const edited = oid && (await reader.edited(record.node!, verdict, oid))
    if (edited)
      found.push({
        id: record.id,
        why: `data ${data} changed since it ran (line ${edited.line} was ${edited.was}, is now ${edited.is}): rigor audit and rigor paper refuse it`,
      })
  }
  return found
}

/** A verdict records its outputs' sha256: committed bytes that no longer match were changed after the run. */
async function checkArtifacts(ws: Workspace, tree: string | undefined, record: NodeRecord, problems: VerifyProblem[]): Promise<void> {
  const verdict = await ws.store.verdict(record)
  if (!verdict) return
  const diffs = artifactDifferences(verdict.artifacts, (await currentArtifacts(ws.repo, tree, record.id)).sums)
  if (diffs.length === 0) return
  problems.push({
    file: `${outDirPath(record.id)}/`,
    where: 'committed',
    kind: 'corrupt',
    message: `artifacts differ from what ${verdictFilePath(record.id)} recorded: ${describeDifferences(diffs)}`,
  })
}

function checkText(file: string, text: string): Omit<VerifyProblem, 'where'> | undefined {
  const kind = documentKindOf(file)
  let check: ReturnType<typeof checkDocument>
  let doc: Record<string, unknown> | undefined
  try {
    if (kind?.format === 'markdown') {
      const {front, body} = splitMarkdownDocument(text, file)
      check = checkMarkdownDocument(front, body)
      doc = front
    } else {
      const parsed = kind?.format === 'json' ? (JSON.parse(text) as unknown) : parseYaml(text, file)
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
        return {file, kind: 'invalid', message: `not a ${kind?.format === 'json' ? 'JSON object' : 'YAML mapping'}`}
      doc = parsed as Record<string, unknown>
      check = checkDocument(doc)
    }
  } catch (err) {
    return {file, kind: 'invalid', message: err instanceof RigorError ? err.message : String(err)}
  }
  if (!check.ok) return {file, kind: 'corrupt', message: `checksum mismatch (expected ${check.expected}, actual ${check.actual})`}
  // intact, and also of the shape its kind must have
  const schema = kind?.schema ? (schemas as unknown as Record<string, z.ZodType>)[kind.schema] : undefined
  if (schema && doc) {
    try {
      validate(schema, doc, file)
    } catch (err) {
      return {file, kind: 'invalid', message: err instanceof RigorError ? err.message : String(err)}
    }
  }
  return undefined
}

function toProblem(
  problem: {file: string; kind: 'corrupt' | 'invalid'} & ({expected: string; actual: string} | {message: string}),
  where: VerifyProblem['where'],
): VerifyProblem {
  return {
    file: problem.file,
    where,
    kind: problem.kind,
    message: 'message' in problem ? problem.message : `checksum mismatch (expected ${problem.expected}, actual ${problem.actual})`,
  }
}
