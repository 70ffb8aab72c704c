import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {checkDocument} from '../state/checksum.js'
import {checkMarkdownDocument, parseYaml, splitMarkdownDocument} from '../state/documents.js'
import {RigorError} from '../errors.js'
import {artifactDifferences, currentArtifacts, describeDifferences} from '../deploy/artifacts.js'
import {EXPERIMENTS_DIR, outDirPath, verdictFilePath} from '../state/layout.js'
import type {NodeRecord} from '../state/store.js'
import {removeStaleTempObjects} from '../git/temp-objects.js'
import type {Workspace} from '../state/workspace.js'

export const CHECKSUMMED_DIRS = [EXPERIMENTS_DIR, 'audits', 'handoffs', 'deployments', 'reports'] as const

export interface VerifyProblem {
  file: string
  where: 'committed' | 'working tree'
  kind: 'corrupt' | 'invalid'
  message: string
}

export interface VerifyReport {
  ok: boolean
  checked: number
  problems: VerifyProblem[]
  commit: string | null
  /** state paths whose index entry was behind the branch tip in this checkout, and what was done */
  index: {behind: string[]; repaired: number; kept: string[]} | null
  /** rigor's temporary object files a crash left in .git/objects, removed (relative to .git/objects) */
  removed_temp_objects: string[]
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
      problems.push({file: join(ws.repo.paths.gitDir, 'index'), where: 'working tree', kind: 'invalid', message: `the index is behind the state branch and could not be repaired: ${err.message.split('\n')[0]}`})
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
  // other checksummed documents (audits, handoffs, deployments, reports)
  if (tip) {
    const listing = await ws.repo.git(['ls-tree', '-r', '--name-only', tip, '--', ...CHECKSUMMED_DIRS.filter((d) => d !== EXPERIMENTS_DIR)])
    for (const path of listing.stdout.split('\n').filter(isChecksummedDocument)) {
      checked++
      const text = (await ws.repo.readFileAt(tip, path))?.toString('utf8') ?? ''
      const problem = checkText(path, text)
      if (problem) problems.push({...problem, where: 'committed'})
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
  const removed = await removeStaleTempObjects(join(ws.repo.paths.commonDir, 'objects'))
  return {ok: problems.length === 0, checked, problems, commit: tip ?? null, index, removed_temp_objects: removed}
}

/**
 * State files in this working tree that someone edited or added by hand: files
 * that differ from the commit this checkout was last brought to (not from the
 * branch's tip, which another rigor process may have moved a moment ago: that is
 * a lag, not an edit), and untracked ones.
 */
export async function locallyModifiedStateFiles(ws: Workspace): Promise<string[]> {
  // a checkout of another branch holds that branch's files, not edits of the state
  const head = await ws.repo.headRef()
  if (head !== undefined && head !== ws.stateRef) return []
  const base = (await ws.syncedCommit()) ?? (await ws.readTip())
  if (!base) return []
  const [changed, untracked] = await Promise.all([
    ws.repo.git(['diff-index', '--name-only', '--diff-filter=AM', '-z', base, '--', ...CHECKSUMMED_DIRS], {allowFailure: true}),
    ws.repo.git(['ls-files', '--others', '--exclude-standard', '-z', '--', ...CHECKSUMMED_DIRS], {allowFailure: true}),
  ])
  const paths = [changed, untracked].flatMap((r) => (r.exitCode === 0 ? r.stdout.split('\0') : []))
  return [...new Set(paths.filter((p) => p.length > 0 && isChecksummedDocument(p)))]
}

function isChecksummedDocument(path: string): boolean {
  if (path.includes('/out/') || path.endsWith('/.gitkeep')) return false
  if (path.endsWith('.yaml')) return true
  return (path.startsWith('audits/') || path.startsWith('reports/')) && (path.endsWith('.md') || path.endsWith('.json'))
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
  let check: ReturnType<typeof checkDocument>
  try {
    if (file.endsWith('.json')) {
      const doc = JSON.parse(text) as unknown
      if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return {file, kind: 'invalid', message: 'not a JSON object'}
      check = checkDocument(doc as Record<string, unknown>)
    } else if (file.endsWith('.md')) {
      const {front, body} = splitMarkdownDocument(text, file)
      check = checkMarkdownDocument(front, body)
    } else {
      const doc = parseYaml(text, file)
      if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return {file, kind: 'invalid', message: 'not a YAML mapping'}
      check = checkDocument(doc as Record<string, unknown>)
    }
  } catch (err) {
    return {file, kind: 'invalid', message: err instanceof RigorError ? err.message : String(err)}
  }
  if (!check.ok) return {file, kind: 'corrupt', message: `checksum mismatch (expected ${check.expected}, actual ${check.actual})`}
  return undefined
}

function toProblem(problem: {file: string; kind: 'corrupt' | 'invalid'} & ({expected: string; actual: string} | {message: string}), where: VerifyProblem['where']): VerifyProblem {
  return {
    file: problem.file,
    where,
    kind: problem.kind,
    message: 'message' in problem ? problem.message : `checksum mismatch (expected ${problem.expected}, actual ${problem.actual})`,
  }
}
